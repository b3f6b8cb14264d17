#version 330 core
uniform sampler2DArray uTiles;  // RGBA tiles
uniform sampler2DArray uY;      // I420 tiles, one array per plane
uniform sampler2DArray uU;
uniform sampler2DArray uV;

in vec2 vUv;
flat in float vLayer;
flat in float vYuv;
out vec4 fragColor;

// BT.601, limited range: what camera decoders produce.
vec3 yuvToRgb(float y, float u, float v) {
  y = 1.164383 * (y - 0.0627451);
  u -= 0.5;
  v -= 0.5;
  return clamp(vec3(y + 1.596027 * v, y - 0.391762 * u - 0.812968 * v, y + 2.017232 * u), 0.0, 1.0);
}

void main() {
  vec3 p = vec3(vUv, vLayer);
  if (vYuv > 0.5) {
    fragColor = vec4(yuvToRgb(texture(uY, p).r, texture(uU, p).r, texture(uV, p).r), 1.0);
  } else {
    fragColor = vec4(texture(uTiles, p).rgb, 1.0);
  }
}
