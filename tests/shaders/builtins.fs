/*{
  "DESCRIPTION": "Test: ISF built-ins, one vertical band each: RENDERSIZE / 255, FRAMEINDEX and PASSINDEX / 255, TIME * 10 / 255, TIMEDELTA * 100 / 255, and with showDate DATE (year - 2000, month, day) / 255 and seconds / 86400.",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": [
    { "NAME": "showDate", "TYPE": "bool", "DEFAULT": false }
  ]
}*/

void main() {
	int band = int(floor(isf_FragNormCoord.x * 5.0));
	vec3 c = vec3(0.0);
	if (band == 0) c = vec3(RENDERSIZE / 255.0, 0.0);
	else if (band == 1) c = vec3(float(FRAMEINDEX), float(PASSINDEX), 0.0) / 255.0;
	else if (band == 2) c = vec3(TIME * 10.0 / 255.0, 0.0, 0.0);
	else if (band == 3) c = vec3(TIMEDELTA * 100.0 / 255.0, 0.0, 0.0);
	else if (showDate) c = isf_FragNormCoord.y > 0.5 ? vec3(DATE.x - 2000.0, DATE.y, DATE.z) / 255.0
	                                                 : vec3(DATE.w / 86400.0);
	gl_FragColor = vec4(c, 1.0);
}
