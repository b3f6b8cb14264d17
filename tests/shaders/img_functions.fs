/*{
  "DESCRIPTION": "Test: the IMG_ functions on an image input, in four horizontal bands from the top: IMG_THIS_PIXEL, IMG_THIS_NORM_PIXEL, IMG_PIXEL at pixel coordinates, then IMG_SIZE / 255 (left) and IMG_NORM_PIXEL (right).",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": [
    { "NAME": "src", "TYPE": "image" }
  ]
}*/

void main() {
	float y = isf_FragNormCoord.y;
	vec4 c;
	if (y > 0.75) c = IMG_THIS_PIXEL(src);
	else if (y > 0.5) c = IMG_THIS_NORM_PIXEL(src);
	// Texel (5, 1) counted from the bottom-left, at its centre.
	else if (y > 0.25) c = IMG_PIXEL(src, vec2(5.5, 1.5));
	else if (isf_FragNormCoord.x < 0.5) c = vec4(IMG_SIZE(src) / 255.0, 0.0, 1.0);
	else c = IMG_NORM_PIXEL(src, vec2(0.0625, 0.25));  // texel (0, 0): bottom-left
	gl_FragColor = vec4(c.rgb, 1.0);
}
