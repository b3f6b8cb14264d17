/*{
  "DESCRIPTION": "Test: one vertical band per INPUT type, left to right: event, bool, long, float, point2D, color, image, audio, audioFFT.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": [
    { "NAME": "ev", "TYPE": "event" },
    { "NAME": "flag", "TYPE": "bool", "DEFAULT": false },
    { "NAME": "choice", "TYPE": "long", "DEFAULT": 20, "VALUES": [10, 20, 30], "LABELS": ["low", "mid", "high"] },
    { "NAME": "amount", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0.0, "MAX": 1.0 },
    { "NAME": "pt", "TYPE": "point2D", "DEFAULT": [10.0, 20.0], "MIN": [0.0, 0.0], "MAX": [100.0, 100.0] },
    { "NAME": "tint", "TYPE": "color", "DEFAULT": [0.2, 0.4, 0.6, 1.0] },
    { "NAME": "img", "TYPE": "image" },
    { "NAME": "snd", "TYPE": "audio", "MAX": 256 },
    { "NAME": "fft", "TYPE": "audioFFT" }
  ]
}*/

void main() {
	vec2 uv = isf_FragNormCoord;
	int band = int(floor(uv.x * 9.0));
	vec3 c = vec3(0.0);
	if (band == 0) c = ev ? vec3(1.0) : vec3(0.0);
	else if (band == 1) c = vec3(0.0, flag ? 1.0 : 0.0, 0.0);
	else if (band == 2) c = vec3(float(choice) / 255.0, 0.0, 0.0);
	else if (band == 3) c = vec3(amount, 1.0 - amount, 0.0);
	else if (band == 4) c = vec3(pt / 100.0, 0.0);
	else if (band == 5) c = tint.rgb;
	// The image: the top half of the band its top-left texel, the bottom half its bottom-left.
	else if (band == 6) c = texture2D(img, vec2(0.25, uv.y > 0.5 ? 0.75 : 0.25)).rgb;
	else if (band == 7) { vec4 s = texture2D(snd, vec2(0.5, 0.5)); c = vec3(s.r, s.a, 0.0); }
	else { vec4 f = texture2D(fft, vec2(0.5, 0.5)); c = vec3(f.r, f.a, 0.0); }
	gl_FragColor = vec4(c, 1.0);
}
