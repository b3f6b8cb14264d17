/*{
	"DESCRIPTION": "Test: an ISF 1 file: no ISFVSN, PERSISTENT_BUFFERS, vv_FragNormCoord, texture2D. trail gains 16/255 per frame; the output shows it in red, the coordinate in green and blue.",
	"CREDIT": "tessera",
	"CATEGORIES": ["Test"],
	"INPUTS": [],
	"PERSISTENT_BUFFERS": ["trail"],
	"PASSES": [
		{ "TARGET": "trail" },
		{ }
	]
}*/

void main() {
	vec4 last = texture2D(trail, vv_FragNormCoord);
	if (PASSINDEX == 0) {
		gl_FragColor = vec4(last.r + 16.0 / 255.0, 0.0, 0.0, 1.0);
	} else {
		gl_FragColor = vec4(last.r, vv_FragNormCoord.x, vv_FragNormCoord.y, 1.0);
	}
}
