/*{
  "DESCRIPTION": "Test: a still 4x2 grid of distinct colours over the whole canvas, so a player's picture can be compared with canvas.png cell by cell (a crop, mirror or swap fails).",
  "CREDIT": "tessera",
  "ISFVSN": "2"
}*/

void main() {
	vec2 uv = isf_FragNormCoord;
	int column = int(floor(clamp(uv.x, 0.0, 0.999) * 4.0));
	bool top = uv.y >= 0.5;
	vec3 colours[8];
	colours[0] = vec3(0.90, 0.10, 0.10);
	colours[1] = vec3(0.10, 0.80, 0.20);
	colours[2] = vec3(0.15, 0.25, 0.90);
	colours[3] = vec3(0.95, 0.90, 0.15);
	colours[4] = vec3(0.85, 0.20, 0.85);
	colours[5] = vec3(0.10, 0.85, 0.85);
	colours[6] = vec3(0.95, 0.55, 0.10);
	colours[7] = vec3(0.50, 0.50, 0.50);
	gl_FragColor = vec4(colours[column + (top ? 0 : 4)], 1.0);
}
