/*{
  "DESCRIPTION": "Test: a companion vertex shader (vertex_varying.vs) passes a custom varying: red = 1 - x, green = y / 2.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": []
}*/

varying vec2 custom;

void main() {
	gl_FragColor = vec4(custom, 0.25, 1.0);
}
