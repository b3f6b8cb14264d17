#version 330 core
// Variants (see tiles.vert), each chosen per draw because a software rasteriser runs both sides
// of a per-pixel branch: TILE_YUV samples the I420 plane arrays, otherwise the RGBA array;
// TILE_NEAREST reads texels directly (tiles drawn near their own size: half the cost of
// filtering on a software rasteriser and indistinguishable there), otherwise filters; TILE_TINT
// pulls the colour toward the tile's tint (photomosaic cells, brush dabs); TILE_DAB is a brush
// dab: a soft-edged ellipse, blended.
uniform sampler2DArray uTiles;  // RGBA tiles
uniform sampler2DArray uY;      // I420 tiles, one array per plane
uniform sampler2DArray uU;
uniform sampler2DArray uV;
uniform vec2 uTileSize;  // texels of one layer (the ingest tile size)

in vec2 vUv;
in vec2 vCorner;
flat in vec4 vSource;
flat in float vLayer;
flat in vec4 vTint;
flat in float vAlpha;
out vec4 fragColor;

// BT.601, limited range: what camera decoders produce.
vec3 yuvToRgb(float y, float u, float v) {
  y = 1.164383 * (y - 0.0627451);
  u -= 0.5;
  v -= 0.5;
  return clamp(vec3(y + 1.596027 * v, y - 0.391762 * u - 0.812968 * v, y + 2.017232 * u), 0.0, 1.0);
}

void main() {
  vec3 rgb;
  // Never a texel beyond the part shown: a feed scaled to a tile smaller than the layer fills
  // only the layer's top left, and what lies beyond is an older, larger frame.
#ifdef TILE_NEAREST
  ivec2 last = max(ivec2(ceil(vSource.zw * uTileSize)) - 1, ivec2(0));
  ivec3 p = ivec3(min(ivec2(vUv * uTileSize), last), int(vLayer));
#ifdef TILE_YUV
  ivec3 c = ivec3(p.xy / 2, p.z);
  rgb = yuvToRgb(texelFetch(uY, p, 0).r, texelFetch(uU, c, 0).r, texelFetch(uV, c, 0).r);
#else
  rgb = texelFetch(uTiles, p, 0).rgb;
#endif
#else
  // Filtered: half a texel inside the part's edges (a whole luma texel for the half-size chroma).
  vec2 texel = 1.0 / uTileSize;
  vec3 p = vec3(clamp(vUv, vSource.xy + 0.5 * texel, vSource.zw - 0.5 * texel), vLayer);
#ifdef TILE_YUV
  vec3 c = vec3(clamp(vUv, vSource.xy + texel, vSource.zw - texel), vLayer);
  rgb = yuvToRgb(texture(uY, p).r, texture(uU, c).r, texture(uV, c).r);
#else
  rgb = texture(uTiles, p).rgb;
#endif
#endif
#ifdef TILE_TINT
  rgb = mix(rgb, vTint.rgb, vTint.a);
#endif
  float alpha = vAlpha;
#ifdef TILE_DAB
  vec2 d = vCorner * 2.0 - 1.0;
  alpha *= 1.0 - smoothstep(0.45, 1.0, dot(d, d));
#endif
  fragColor = vec4(rgb, alpha);
}
