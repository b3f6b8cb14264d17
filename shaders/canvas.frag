#version 330 core
// Variants: CANVAS_IMAGE draws a canvas-sized image (the outgoing scene's last frame) with
// opacity uAlpha, texel for texel; otherwise the pass is the flat colour uColour.
uniform sampler2D uImage;
uniform float uAlpha;
uniform vec4 uColour;

out vec4 fragColor;

void main() {
#ifdef CANVAS_IMAGE
  fragColor = vec4(texelFetch(uImage, ivec2(gl_FragCoord.xy), 0).rgb, uAlpha);
#else
  fragColor = uColour;
#endif
}
