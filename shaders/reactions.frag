#version 330 core
// A reaction's shape: heart (pink), clap (a gold star), wow (a blue face with an open mouth),
// fire (an orange flame); a light rim keeps it readable on any picture. Coverage from signed
// distances, antialiased over a pixel.
in vec2 vLocal;
flat in float vAlpha;
flat in int vKind;

out vec4 fragColor;

float heart(vec2 p) {
  // Inigo Quilez's exact heart (point at 0, lobes up to 1.1), fitted into the square.
  const float k = 0.6;
  p = p * k + vec2(0.0, 0.55);
  p.x = abs(p.x);
  if (p.y + p.x > 1.0) return (length(p - vec2(0.25, 0.75)) - sqrt(2.0) / 4.0) / k;
  vec2 q = p - 0.5 * max(p.x + p.y, 0.0);
  return sqrt(min(dot(p - vec2(0.0, 1.0), p - vec2(0.0, 1.0)), dot(q, q))) * sign(p.x - p.y) / k;
}

float star(vec2 p) {
  // Five points: the radius swings between 0.45 and 0.9 around the centre.
  float a = atan(p.x, p.y);
  float r = length(p);
  float k = 0.5 + 0.5 * cos(5.0 * a);
  return r - mix(0.42, 0.9, pow(k, 3.0));
}

float face(vec2 p) {
  float d = length(p) - 0.8;
  float mouth = length((p - vec2(0.0, -0.25)) * vec2(1.4, 1.0)) - 0.22;  // an open "O"
  float eyes = min(length(p - vec2(-0.28, 0.25)), length(p - vec2(0.28, 0.25))) - 0.1;
  return max(d, -min(mouth, eyes));
}

float flame(vec2 p) {
  // A teardrop pointing up: a circle below, narrowing to a tip.
  p.y += 0.3;
  float r = length(p);
  float w = 0.55 * (1.0 - clamp(p.y / 1.15, 0.0, 1.0));
  return p.y > 0.0 ? abs(p.x) - w * (1.0 - 0.2 * p.y) : r - 0.55;
}

void main() {
  float d;
  vec3 colour;
  if (vKind == 0) {
    d = heart(vLocal);
    colour = vec3(1.0, 0.22, 0.42);
  } else if (vKind == 1) {
    d = star(vLocal);
    colour = vec3(1.0, 0.8, 0.15);
  } else if (vKind == 2) {
    d = face(vLocal);
    colour = vec3(0.3, 0.72, 1.0);
  } else {
    d = flame(vLocal);
    colour = vec3(1.0, 0.45, 0.08);
  }
  float px = fwidth(d) + 1e-4;
  float inside = 1.0 - smoothstep(-px, px, d);
  float rim = 1.0 - smoothstep(-px, px, abs(d + 0.06) - 0.03);
  float coverage = max(inside, rim);
  if (coverage <= 0.0) discard;
  vec3 c = mix(colour, vec3(1.0), rim * 0.7);
  fragColor = vec4(c, coverage * vAlpha);
}
