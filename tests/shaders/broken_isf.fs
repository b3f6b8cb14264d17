/*{
  "DESCRIPTION": "Test: a compile error on line 13 (an undeclared identifier).",
  "CREDIT": "tessera",
  "ISFVSN": "2",
  "INPUTS": [
    { "NAME": "amount", "TYPE": "float", "DEFAULT": 0.5, "MIN": 0.0, "MAX": 1.0 }
  ]
}*/

void main() {
	vec2 uv = isf_FragNormCoord;
	float a = amount * uv.x;
	float b = a + undeclaredThing;
	gl_FragColor = vec4(b);
}
