/*{
  "DESCRIPTION": "Test: a PERSISTENT FLOAT buffer adds 1/64 each frame; the output shows the count (value * 64) / 255 in red and the fractional error in green.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": [],
  "PASSES": [
    { "TARGET": "acc", "PERSISTENT": true, "FLOAT": true, "WIDTH": "8", "HEIGHT": "8" },
    { }
  ]
}*/

void main() {
	if (PASSINDEX == 0) {
		float v = IMG_THIS_PIXEL(acc).r + 1.0 / 64.0;
		gl_FragColor = vec4(v, 0.0, 0.0, 1.0);
	} else {
		float n = IMG_NORM_PIXEL(acc, vec2(0.5)).r * 64.0;
		gl_FragColor = vec4(n / 255.0, abs(n - floor(n + 0.5)) * 100.0, 0.0, 1.0);
	}
}
