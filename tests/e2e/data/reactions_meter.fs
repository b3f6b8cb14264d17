/*{
  "DESCRIPTION": "Test: the whole canvas is grey at CROWD_REACTIONS / 8 (white from 8 reactions a second), so a test reads the smoothed rate back from the canvas.",
  "CREDIT": "tessera",
  "ISFVSN": "2"
}*/

void main() {
	gl_FragColor = vec4(vec3(clamp(CROWD_REACTIONS / 8.0, 0.0, 1.0)), 1.0);
}
