/*{ "ISFVSN": "2", "DESCRIPTION": "deliberately slow on a CPU rasteriser" }*/
void main() {
  vec2 uv = isf_FragNormCoord;
  float v = 0.0;
  for (int i = 0; i < 300; i++) {
    v += sin(uv.x * float(i) * 0.37 + TIME) * cos(uv.y * float(i) * 0.11 - TIME);
  }
  gl_FragColor = vec4(vec3(0.5 + 0.5 * sin(v)), 1.0);
}
