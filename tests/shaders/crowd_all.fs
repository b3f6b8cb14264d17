/*{
  "DESCRIPTION": "Test: every crowd name. mode picture draws each feed into its FEED_RECT with FEED_PIXEL over CROWD_COLOR; mode data writes the crowd numbers into pixels (row r from the top, column i = feed i) for the test to read back.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": [
    { "NAME": "mode", "TYPE": "long", "DEFAULT": 0, "VALUES": [0, 1], "LABELS": ["picture", "data"] }
  ]
}*/

vec3 picture(vec2 uv) {
	vec3 c = CROWD_COLOR;
	for (int i = 0; i < FEED_MAX; i++) {
		if (i >= FEED_COUNT) break;
		vec4 r = FEED_RECT(i);
		vec2 local = (uv - r.xy) / r.zw;
		if (all(greaterThanEqual(local, vec2(0.0))) && all(lessThan(local, vec2(1.0))))
			c = FEED_PIXEL(i, local).rgb;
	}
	return c;
}

vec3 data(ivec2 px) {
	int i = px.x;
	int row = int(RENDERSIZE.y) - 1 - px.y;  // rows counted from the top of the picture
	if (row == 6) {
		if (i == 0) return CROWD_COLOR;
		if (i == 1) return vec3(CROWD_MOTION / float(max(FEED_COUNT, 1)), CROWD_BRIGHTNESS,
		                        CROWD_FACES / float(2 * max(FEED_COUNT, 1)));
		if (i == 2) return vec3(float(FEED_COUNT), float(CROWD_COUNT), float(FEED_MAX) / 4.0) / 255.0;
		return vec3(0.0);
	}
	if (i >= FEED_COUNT) return vec3(0.0);
	vec4 rect = FEED_RECT(i);
	vec4 s = FEED_SCORES(i);
	if (row == 0) return vec3(rect.xy, float(FEED_ID(i)) / 255.0);
	if (row == 1) return vec3(rect.zw, 0.0);
	if (row == 2) return FEED_COLOR(i);
	if (row == 3) return vec3(s.x, s.y, s.w / 3.0);
	if (row == 4) return vec3(s.z / 255.0, 0.0, 0.0);
	return vec3(0.0);
}

void main() {
	vec3 c = mode == 1 ? data(ivec2(gl_FragCoord.xy)) : picture(isf_FragNormCoord);
	gl_FragColor = vec4(c, 1.0);
}
