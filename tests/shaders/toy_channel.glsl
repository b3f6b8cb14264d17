// Test: ShaderToy iChannel0 stretched over the left half, iChannelResolution[0] / 255 on the right
// (red, green) and iChannelResolution[1].x (blue: 0, nothing bound to iChannel1).
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    if (uv.x < 0.5) {
        fragColor = texture(iChannel0, vec2(uv.x * 2.0, uv.y));
    } else {
        fragColor = vec4(iChannelResolution[0].xy / 255.0, iChannelResolution[1].x / 255.0, 1.0);
    }
}
