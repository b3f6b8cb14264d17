/*{
  "DESCRIPTION": "Test: a still pattern of 8 x 4 flat cells, each its own colour, so a test finds where every part of the canvas went on a gallery window (region, corner-pin, blend).",
  "CREDIT": "tessera",
  "ISFVSN": "2"
}*/

void main() {
	vec2 cell = floor(isf_FragNormCoord * vec2(8.0, 4.0));
	float i = cell.x, j = cell.y;
	gl_FragColor = vec4(0.1 + 0.8 * i / 7.0, 0.1 + 0.8 * j / 3.0, mod(i + j, 2.0) * 0.6 + 0.2, 1.0);
}
