#version 330 core
uniform sampler2DArray uTiles;

in vec2 vUv;
flat in float vLayer;
out vec4 fragColor;

void main() {
  fragColor = vec4(texture(uTiles, vec3(vUv, vLayer)).rgb, 1.0);
}
