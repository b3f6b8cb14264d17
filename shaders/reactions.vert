#version 330 core
// Viewers' reactions (render/reaction_sprites.hpp): one instance per reaction, a square centred
// on (x, y) in canvas pixels (y down) with its opacity and kind. All drawn in one instanced draw.
layout(location = 0) in vec4 aSprite;  // x, y, size, alpha
layout(location = 1) in float aKind;   // 0 heart, 1 clap, 2 wow, 3 fire

uniform vec2 uCanvasSize;

out vec2 vLocal;  // -1..1 across the square, y up
flat out float vAlpha;
flat out int vKind;

void main() {
  // Triangle strip corners from the vertex id: (0,0) (1,0) (0,1) (1,1).
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  vec2 pos = aSprite.xy + (corner - 0.5) * aSprite.z;
  // As tiles.vert: canvas y=0 is NDC -1, GL row 0, the canvas's top row.
  gl_Position = vec4(pos / uCanvasSize * 2.0 - 1.0, 0.0, 1.0);
  vLocal = vec2(corner.x * 2.0 - 1.0, 1.0 - corner.y * 2.0);
  vAlpha = aSprite.w;
  vKind = int(aKind + 0.5);
}
