/*{
  "DESCRIPTION": "Test: an IMPORTED image (relative to this file) stretched over the canvas.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": [],
  "IMPORTED": { "quads": { "PATH": "images/quadrants.png" } }
}*/

void main() {
	gl_FragColor = IMG_THIS_NORM_PIXEL(quads);
}
