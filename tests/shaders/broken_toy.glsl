// Test: a ShaderToy shader with a compile error on line 5 (an undeclared identifier).
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    float wave = sin(uv.x * 10.0 + iTime);
    fragColor = vec4(wave * missingColour, 1.0);
}
