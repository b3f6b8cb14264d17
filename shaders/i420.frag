#version 330 core
// The canvas as I420 for an encoder, scaled to the encoded size in the same pass. Variants:
// I420_CHROMA draws U and V at once (two targets, one read of the canvas), the mean of each 2x2
// block as one bilinear read at its centre; otherwise Y, with I420_TEXEL (the canvas is the
// encoded size) as one texel read per pixel, which costs a CPU rasteriser less than a filtered
// one. Limited range on the canvas's gamma-encoded values, as videoconvert does:
// code / 255 = dot(rgb, uRow) + uRowOffset, per plane (render/i420_converter.cpp).
uniform sampler2D uCanvas;  // filtered linearly, clamped at the edges
uniform vec2 uSize;         // the encoded width and height
uniform vec3 uRows[3];      // the matrix's rows for Y, U and V
uniform vec3 uOffsets;      // and their offsets

#ifdef I420_CHROMA
layout(location = 0) out vec4 outU;
layout(location = 1) out vec4 outV;
#else
layout(location = 0) out vec4 outY;
#endif

void main() {
#ifdef I420_CHROMA
  vec3 rgb = texture(uCanvas, floor(gl_FragCoord.xy) * 2.0 / uSize + 1.0 / uSize).rgb;
  outU = vec4(dot(rgb, uRows[1]) + uOffsets.y, 0.0, 0.0, 1.0);
  outV = vec4(dot(rgb, uRows[2]) + uOffsets.z, 0.0, 0.0, 1.0);
#else
#ifdef I420_TEXEL
  vec3 rgb = texelFetch(uCanvas, ivec2(gl_FragCoord.xy), 0).rgb;
#else
  vec3 rgb = texture(uCanvas, gl_FragCoord.xy / uSize).rgb;
#endif
  outY = vec4(dot(rgb, uRows[0]) + uOffsets.x, 0.0, 0.0, 1.0);
#endif
}
