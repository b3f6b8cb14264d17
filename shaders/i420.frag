#version 330 core
// The canvas as I420 for an encoder, scaled to the encoded size in the same pass. Each fragment
// of the one-channel target is one byte of the picture laid out as GStreamer lays out I420
// (core::i420Layout: Y, then U, then V, rows padded to 4 bytes), so a single read fills the
// encoder's buffer. Limited range with the matrix uKrKb (BT.709: 0.2126, 0.0722), on the
// canvas's gamma-encoded values as videoconvert does. Chroma is the mean of each 2x2 block
// (one bilinear sample at its centre).
uniform sampler2D uCanvas;  // filtered linearly, clamped at the edges
uniform vec2 uSize;         // the encoded width and height
uniform int uYStride;
uniform int uChromaStride;
uniform int uUOffset;
uniform int uVOffset;
uniform vec2 uKrKb;

out vec4 fragColor;

void main() {
  int i = int(gl_FragCoord.y) * uYStride + int(gl_FragCoord.x);
  vec3 k = vec3(uKrKb.x, 1.0 - uKrKb.x - uKrKb.y, uKrKb.y);
  float value;
  if (i < uUOffset) {
    vec2 p = vec2(i % uYStride, i / uYStride);
    vec3 rgb = texture(uCanvas, (p + 0.5) / uSize).rgb;
    value = (16.0 + 219.0 * dot(rgb, k)) / 255.0;
  } else {
    bool isV = i >= uVOffset;
    int j = i - (isV ? uVOffset : uUOffset);
    vec2 p = vec2(j % uChromaStride, j / uChromaStride);
    vec3 rgb = texture(uCanvas, (p * 2.0 + 1.0) / uSize).rgb;
    float y = dot(rgb, k);
    float c = isV ? (rgb.r - y) / (2.0 * (1.0 - k.x)) : (rgb.b - y) / (2.0 * (1.0 - k.z));
    value = (128.0 + 224.0 * c) / 255.0;
  }
  fragColor = vec4(value, 0.0, 0.0, 1.0);
}
