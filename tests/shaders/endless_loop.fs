/*{
  "DESCRIPTION": "Test: a frame that takes minutes on a CPU rasteriser (60000 sines a pixel; llvmpipe caps a loop at 65535 turns, so a truly endless loop ends there too): tessera shader render must give up after --timeout, not hang.",
  "INPUTS": [ {"NAME": "seed", "TYPE": "float", "DEFAULT": 0.5} ]
}*/
void main() {
  float x = seed;
  for (int i = 0; i < 60000; ++i) x = sin(x + float(i));
  gl_FragColor = vec4(x, 0.0, 0.0, 1.0);
}
