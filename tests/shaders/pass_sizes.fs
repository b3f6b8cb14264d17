/*{
  "DESCRIPTION": "Test: pass sizes from expressions. quarter is floor($WIDTH/4) x floor($HEIGHT/4); strip is cells x 2 (an input). Each pass writes its RENDERSIZE and PASSINDEX; the output shows quarter's on the left, strip's on the right, IMG_SIZE of both in the top row of each half.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": [
    { "NAME": "cells", "TYPE": "long", "DEFAULT": 5, "MIN": 1, "MAX": 64 }
  ],
  "PASSES": [
    { "TARGET": "quarter", "WIDTH": "floor($WIDTH/4.0)", "HEIGHT": "floor($HEIGHT / 4.0)" },
    { "TARGET": "strip", "WIDTH": "$cells", "HEIGHT": "max(1, 2)" },
    { }
  ]
}*/

void main() {
	if (PASSINDEX < 2) {
		gl_FragColor = vec4(RENDERSIZE / 255.0, float(PASSINDEX) / 255.0, 1.0);
		return;
	}
	vec2 uv = isf_FragNormCoord;
	bool top = uv.y > 0.75;
	if (uv.x < 0.5)
		gl_FragColor = top ? vec4(IMG_SIZE(quarter) / 255.0, 0.0, 1.0) : IMG_NORM_PIXEL(quarter, vec2(0.5));
	else
		gl_FragColor = top ? vec4(IMG_SIZE(strip) / 255.0, 0.0, 1.0) : IMG_NORM_PIXEL(strip, vec2(0.5));
}
