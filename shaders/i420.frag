#version 330 core
// The canvas as one plane of I420 for an encoder, scaled to the encoded size in the same pass.
// The target is one byte a texel, as wide as the Y rows (core::i420Layout: Y, then U, then V,
// rows padded to 4 bytes), so a single read fills the encoder's buffer; each plane is drawn over
// the rows it covers, and a texel of a row it shares with another plane is discarded. Float
// arithmetic only (exact below 2^24 bytes): a CPU rasteriser has no vector integer division.
// Variant I420_TEXEL (Y at the canvas's size): texel reads, which cost a CPU rasteriser less
// than filtered ones. Limited range on the canvas's gamma-encoded values, as videoconvert does; chroma is the mean
// of each 2x2 block (one bilinear sample at its centre).
uniform sampler2D uCanvas;  // filtered linearly, clamped at the edges
uniform vec2 uSize;         // the encoded width and height
uniform float uRowBytes;    // the target's width: the Y stride
uniform float uOffset;      // this plane's first byte
uniform float uStride;      // this plane's row length, bytes
uniform float uBytes;       // this plane's length, bytes
uniform float uScale;       // canvas pixels per plane sample: 1 for Y, 2 for U and V
uniform vec4 uCoefficients; // code / 255 = dot(vec4(rgb, 1), uCoefficients)

out vec4 fragColor;

void main() {
  vec2 texel = floor(gl_FragCoord.xy);
  float j = texel.y * uRowBytes + texel.x - uOffset;
  if (j < 0.0 || j >= uBytes) discard;
  float row = floor((j + 0.5) / uStride);
  vec2 p = vec2(j - row * uStride, row);
#ifdef I420_TEXEL
  vec3 rgb = texelFetch(uCanvas, ivec2(p), 0).rgb;  // Y at the canvas size: a canvas pixel
#else
  vec3 rgb = texture(uCanvas, (p + 0.5) * uScale / uSize).rgb;
#endif
  fragColor = vec4(dot(vec4(rgb, 1.0), uCoefficients), 0.0, 0.0, 1.0);
}
