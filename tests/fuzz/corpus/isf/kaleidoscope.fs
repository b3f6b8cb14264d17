/*{
  "DESCRIPTION": "Folds the canvas into a kaleidoscope of mirrored segments. The more the crowd moves, the faster it turns.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "CATEGORIES": ["Crowd", "Geometry Adjustment"],
  "INPUTS": [
    { "NAME": "inputImage", "TYPE": "image" },
    { "NAME": "segments", "LABEL": "Segments", "TYPE": "long", "DEFAULT": 6,
      "VALUES": [2, 3, 4, 6, 8, 12], "LABELS": ["2", "3", "4", "6", "8", "12"] },
    { "NAME": "speed", "LABEL": "Turn speed", "TYPE": "float", "DEFAULT": 0.15, "MIN": 0.0, "MAX": 2.0 },
    { "NAME": "motionBoost", "LABEL": "Motion boost", "TYPE": "float", "DEFAULT": 1.5, "MIN": 0.0, "MAX": 8.0 },
    { "NAME": "zoom", "LABEL": "Zoom", "TYPE": "float", "DEFAULT": 0.7, "MIN": 0.25, "MAX": 4.0 },
    { "NAME": "center", "LABEL": "Centre", "TYPE": "point2D", "DEFAULT": [0.5, 0.5], "MIN": [0.0, 0.0], "MAX": [1.0, 1.0] },
    { "NAME": "edgeTint", "LABEL": "Seam tint", "TYPE": "color", "DEFAULT": [1.0, 0.95, 0.85, 0.25] }
  ],
  "PASSES": [
    { "TARGET": "spin", "PERSISTENT": true, "FLOAT": true, "WIDTH": 1, "HEIGHT": 1 },
    { }
  ]
}*/

// Pass 0 integrates the rotation angle in a 1x1 float buffer, so a change in the crowd's motion
// changes the speed without the picture jumping. Pass 1 folds the canvas.

const float TAU = 6.28318530718;

void main() {
	if (PASSINDEX == 0) {
		float angle = IMG_PIXEL(spin, vec2(0.5)).r;
		float motion = CROWD_MOTION / float(max(FEED_COUNT, 1));  // mean motion, 0..1
		angle = mod(angle + TIMEDELTA * speed * (1.0 + motionBoost * motion), TAU);
		gl_FragColor = vec4(angle, 0.0, 0.0, 1.0);
		return;
	}
	float angle = IMG_PIXEL(spin, vec2(0.5)).r;
	vec2 aspect = vec2(RENDERSIZE.x / RENDERSIZE.y, 1.0);
	vec2 p = (isf_FragNormCoord - center) * aspect;
	float r = length(p) / zoom;
	float a = atan(p.y, p.x) + angle;
	float wedge = TAU / float(max(segments, 1));
	a = mod(a, wedge);
	float fold = abs(a - 0.5 * wedge);  // 0 on the wedge's axis, wedge/2 on its mirrors
	a = 0.5 * wedge - fold;
	vec2 q = center + r * vec2(cos(a), sin(a)) / aspect;
	q = 1.0 - abs(1.0 - mod(q, 2.0));  // mirror at the canvas edges instead of clamping
	vec4 colour = IMG_NORM_PIXEL(inputImage, q);
	// A faint seam where the mirrors meet.
	float seam = 1.0 - smoothstep(0.0, 0.015, fold * r * zoom);
	colour.rgb = mix(colour.rgb, edgeTint.rgb, seam * edgeTint.a);
	gl_FragColor = vec4(colour.rgb, 1.0);
}
