/*{
  "DESCRIPTION": "A stained-glass window of the crowd: every pane of a drifting Voronoi mosaic shows one participant, set in dark lead. Without participants the panes take the crowd's colour.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "CATEGORIES": ["Crowd", "Stylize"],
  "INPUTS": [
    { "NAME": "cells", "LABEL": "Panes across", "TYPE": "float", "DEFAULT": 7.0, "MIN": 2.0, "MAX": 32.0 },
    { "NAME": "lineWidth", "LABEL": "Lead width", "TYPE": "float", "DEFAULT": 0.045, "MIN": 0.0, "MAX": 0.3 },
    { "NAME": "leadColor", "LABEL": "Lead colour", "TYPE": "color", "DEFAULT": [0.07, 0.06, 0.06, 1.0] },
    { "NAME": "drift", "LABEL": "Drift", "TYPE": "float", "DEFAULT": 0.3, "MIN": 0.0, "MAX": 2.0 },
    { "NAME": "light", "LABEL": "Light", "TYPE": "long", "DEFAULT": 1,
      "VALUES": [0, 1, 2], "LABELS": ["Flat", "Glass", "Sunlit"] },
    { "NAME": "tint", "LABEL": "Glass tint", "TYPE": "float", "DEFAULT": 0.25, "MIN": 0.0, "MAX": 1.0 }
  ],
  "PASSES": [
    { "TARGET": "seeds", "FLOAT": true,
      "WIDTH": "ceil($cells) + 3", "HEIGHT": "ceil($cells * $HEIGHT / $WIDTH) + 3" },
    { }
  ]
}*/

// Cheap hashes: no trigonometry per neighbour, which matters on a CPU rasteriser.
vec2 hash2(vec2 p) {
	vec3 q = fract(vec3(p.xyx) * vec3(0.1031, 0.1030, 0.0973));
	q += dot(q, q.yzx + 33.33);
	return fract((q.xx + q.yz) * q.zy);
}

float hash1(vec2 p) {
	vec3 q = fract(vec3(p.xyx) * 0.1031);
	q += dot(q, q.yzx + 33.33);
	return fract((q.x + q.y) * q.z);
}

// The seed of a cell, wandering gently inside it.
vec2 seed(vec2 cell) {
	vec2 h = hash2(cell);
	return 0.5 + 0.38 * sin(TIME * drift * (0.6 + 0.4 * h.yx) + 6.2831 * h);
}

// Pass 0 writes one texel per cell (offset by one: cells -1 .. n+1): its seed and hash, so the
// picture pass reads 9 texels per pixel instead of computing 18 seeds (sines) per pixel.
vec4 cellData(vec2 cell) {
	return texelFetch(seeds, ivec2(cell) + 1, 0);
}

void main() {
	if (PASSINDEX == 0) {
		vec2 cell = floor(gl_FragCoord.xy) - 1.0;
		gl_FragColor = vec4(seed(cell), hash1(cell + 17.0), 0.0);
		return;
	}
	vec2 aspect = vec2(RENDERSIZE.x / RENDERSIZE.y, 1.0);
	float across = max(cells, 1.0);
	vec2 p = isf_FragNormCoord * aspect * (across / aspect.x);
	vec2 cell = floor(p);
	vec2 f = p - cell;

	// Nearest seed among the 3x3 neighbours.
	vec2 rs[9];
	int nearest = 0;
	float best = 8.0;
	for (int k = 0; k < 9; k++) {
		vec2 n = vec2(float(k % 3 - 1), float(k / 3 - 1));
		rs[k] = n + cellData(cell + n).xy - f;
		float d = dot(rs[k], rs[k]);
		if (d < best) {
			best = d;
			nearest = k;
		}
	}
	vec2 nearestR = rs[nearest];
	vec2 nearestCell = cell + vec2(float(nearest % 3 - 1), float(nearest / 3 - 1));
	// Distance to the nearest border: projected onto each bisector.
	float edge = 8.0;
	for (int k = 0; k < 9; k++) {
		if (k == nearest) continue;
		vec2 diff = rs[k] - nearestR;
		float len2 = dot(diff, diff);
		if (len2 > 1e-6)
			edge = min(edge, dot(0.5 * (nearestR + rs[k]), diff / sqrt(len2)));
	}

	float h = cellData(nearestCell).z;
	vec3 hue = 0.55 + 0.45 * cos(6.2831 * (h + vec3(0.0, 0.33, 0.67)));
	vec3 glass;
	if (FEED_COUNT > 0) {
		int feed = int(mod(floor(h * 9973.0), float(FEED_COUNT)));
		// The participant centred on the pane's seed; tiles are 4:3.
		vec2 uv = clamp(0.5 - nearestR * vec2(0.55, 0.72), 0.0, 1.0);
		glass = FEED_PIXEL(feed, uv).rgb;
		glass = mix(glass, glass * hue * 1.6, tint);
	} else {
		glass = mix(vec3(0.55, 0.6, 0.68), CROWD_COLOR, step(0.001, dot(CROWD_COLOR, vec3(1.0))));
		glass *= mix(vec3(1.0), hue * 1.5, 0.5 + 0.5 * tint);
	}

	// Light through the glass: brighter at the pane's heart, a sun from the top left.
	if (light >= 1) glass *= 0.75 + 0.35 * smoothstep(0.0, 0.45, edge);
	if (light >= 2) {
		float sun = 1.0 - distance(isf_FragNormCoord, vec2(0.15, 0.95));
		glass *= 0.7 + 0.7 * clamp(sun, 0.0, 1.0);
	}

	float pixel = across / RENDERSIZE.x * 1.5;  // antialiasing width in cell units
	float lead = 1.0 - smoothstep(lineWidth, lineWidth + pixel, edge);
	vec3 colour = mix(clamp(glass, 0.0, 1.0), leadColor.rgb, lead);
	gl_FragColor = vec4(colour, 1.0);
}
