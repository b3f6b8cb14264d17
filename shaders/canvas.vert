#version 330 core
// A full-canvas quad for whole-canvas passes (scene cross-fades, fading the brush's paint).
void main() {
  vec2 corner = vec2(float(gl_VertexID & 1), float((gl_VertexID >> 1) & 1));
  gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
