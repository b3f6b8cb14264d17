#version 330 core
// One instance per tile: the tile's rectangle in canvas pixels and its layer in the tile arrays.
// The renderer compiles this file and tiles.frag once per variant (TILE_YUV, TILE_NEAREST
// defined or not) and draws each variant's tiles in one instanced draw.
layout(location = 0) in vec4 aRect;  // x, y, w, h (y down, canvas pixels)
layout(location = 1) in float aLayer;

uniform vec2 uCanvasSize;

out vec2 vUv;
flat out float vLayer;

void main() {
  // Triangle strip corners from the vertex id: (0,0) (1,0) (0,1) (1,1).
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  vec2 pos = aRect.xy + corner * aRect.zw;
  // Canvas y=0 maps to NDC y=-1, so GL row 0 (what glReadPixels returns first) is the canvas top.
  gl_Position = vec4(pos / uCanvasSize * 2.0 - 1.0, 0.0, 1.0);
  vUv = corner;  // v=0 is the tile's top row, which is the first row uploaded
  vLayer = aLayer;
}
