/*{
  "DESCRIPTION": "A heat map of the crowd's movement over the canvas: each participant's tile glows from cool to white-hot with how much they move.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "CATEGORIES": ["Crowd", "Color Effect"],
  "INPUTS": [
    { "NAME": "inputImage", "TYPE": "image" },
    { "NAME": "opacity", "LABEL": "Opacity", "TYPE": "float", "DEFAULT": 0.6, "MIN": 0.0, "MAX": 1.0 },
    { "NAME": "ramp", "LABEL": "Ramp", "TYPE": "long", "DEFAULT": 0,
      "VALUES": [0, 1, 2], "LABELS": ["Fire", "Thermal", "Ice"] },
    { "NAME": "gain", "LABEL": "Gain", "TYPE": "float", "DEFAULT": 1.0, "MIN": 0.1, "MAX": 4.0 },
    { "NAME": "calmColor", "LABEL": "Outside the tiles", "TYPE": "color", "DEFAULT": [0.0, 0.0, 0.0, 0.0] }
  ],
  "PASSES": [
    { "TARGET": "owner", "FLOAT": true, "WIDTH": "ceil($WIDTH / 8.0)", "HEIGHT": "ceil($HEIGHT / 8.0)" },
    { }
  ]
}*/

// The heat ramps: t in 0..1 from calm to hot.
vec3 heat(float t) {
	t = clamp(t, 0.0, 1.0);
	if (ramp == 1) {  // thermal camera: blue, magenta, orange, yellow-white
		return clamp(vec3(1.6 * t - 0.1, 2.2 * t * t - 0.4 * t, 0.8 - 2.4 * abs(t - 0.3) + max(0.0, 3.0 * t - 2.4)), 0.0, 1.0);
	}
	if (ramp == 2) {  // ice: deep blue to white
		return vec3(t * t, 0.3 + 0.7 * t, 0.55 + 0.45 * sqrt(t));
	}
	// fire: black, red, orange, yellow, white
	return clamp(vec3(3.0 * t, 3.0 * t - 1.0, 3.0 * t - 2.0), 0.0, 1.0);
}

// Pass 0, at 1/8 of the size: which feed is on top at each low-res texel's centre (index + 1,
// 0 for none), looping over every feed. Pass 1: a pixel tests only the feeds found at the 2x2
// texel centres around it. Any tile at least 8 pixels wide that covers the pixel covers one of
// those centres, so the edges stay sharp while the loop over feeds runs 64 times less often.
// Layouts vary (grid, spotlight, brush...), so the owner is always looked up, never computed.

bool inside(vec2 uv, vec4 rect) {
	return all(greaterThanEqual(uv, rect.xy)) && all(lessThan(uv, rect.xy + rect.zw));
}

void main() {
	vec2 uv = isf_FragNormCoord;
	if (PASSINDEX == 0) {
		float top = 0.0;
		for (int i = 0; i < FEED_MAX; i++) {
			if (i >= FEED_COUNT) break;
			if (inside(uv, FEED_RECT(i))) top = float(i + 1);  // the last one drawn wins
		}
		gl_FragColor = vec4(top, 0.0, 0.0, 1.0);
		return;
	}
	ivec2 size = textureSize(owner, 0);
	ivec2 base = ivec2(floor(uv * vec2(size) - 0.5));
	int feed = -1;
	for (int k = 0; k < 4; k++) {
		ivec2 t = clamp(base + ivec2(k & 1, k >> 1), ivec2(0), size - 1);
		int i = int(texelFetch(owner, t, 0).r + 0.5) - 1;
		if (i > feed && inside(uv, FEED_RECT(i))) feed = i;
	}
	vec3 colour = IMG_THIS_PIXEL(inputImage).rgb;
	if (feed >= 0) {
		colour = mix(colour, heat(FEED_SCORES(feed).y * gain), opacity);
	} else {
		colour = mix(colour, calmColor.rgb, calmColor.a * opacity);
	}
	gl_FragColor = vec4(colour, 1.0);
}
