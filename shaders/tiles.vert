#version 330 core
// One instance per tile: where it goes on the canvas, which layer of the tile arrays it shows and
// which part of it, the colour it is pulled toward, its opacity and its rotation. The renderer
// compiles this file and tiles.frag once per variant (TILE_YUV, TILE_NEAREST, TILE_TINT,
// TILE_DAB defined or not) and draws each variant's tiles in one instanced draw.
layout(location = 0) in vec4 aRect;    // x, y, w, h (y down, canvas pixels)
layout(location = 1) in float aLayer;
layout(location = 2) in vec4 aSource;  // u, v, w, h: the part of the tile shown, 0..1
layout(location = 3) in vec4 aTint;    // r, g, b (0..1) and how far to pull toward them
layout(location = 4) in vec2 aAlphaRotation;  // opacity; rotation about the centre (radians)

uniform vec2 uCanvasSize;

out vec2 vUv;
out vec2 vCorner;  // 0..1 across the tile
flat out vec4 vSource;  // the part shown: u0, v0, u1, v1 (sampling stays inside it)
flat out float vLayer;
flat out vec4 vTint;
flat out float vAlpha;

void main() {
  // Triangle strip corners from the vertex id: (0,0) (1,0) (0,1) (1,1).
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  // Rotated about the rectangle's centre; with y down a positive angle turns clockwise, so an
  // angle of atan2(dy, dx) lays the tile's width along the direction (dx, dy).
  vec2 local = (corner - 0.5) * aRect.zw;
  float c = cos(aAlphaRotation.y), s = sin(aAlphaRotation.y);
  vec2 pos = aRect.xy + 0.5 * aRect.zw + vec2(c * local.x - s * local.y, s * local.x + c * local.y);
  // Canvas y=0 maps to NDC y=-1, so GL row 0 (what glReadPixels returns first) is the canvas top.
  gl_Position = vec4(pos / uCanvasSize * 2.0 - 1.0, 0.0, 1.0);
  vUv = aSource.xy + corner * aSource.zw;  // v=0 is the tile's top row, the first row uploaded
  vCorner = corner;
  vSource = vec4(aSource.xy, aSource.xy + aSource.zw);
  vLayer = aLayer;
  vTint = aTint;
  vAlpha = aAlphaRotation.x;
}
