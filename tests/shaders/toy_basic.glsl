// Test: a ShaderToy shader. Left half: a gradient of fragCoord / iResolution; right half, bands
// from the top: iResolution / 255, iFrame / 255, iTime * 10 / 255, iMouse.xy / 255.
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    vec2 uv = fragCoord / iResolution.xy;
    vec3 col = vec3(uv, 0.5);
    if (uv.x >= 0.5) {
        if (uv.y > 0.75) col = vec3(iResolution.xy / 255.0, iResolution.z);
        else if (uv.y > 0.5) col = vec3(float(iFrame) / 255.0, 0.0, 0.0);
        else if (uv.y > 0.25) col = vec3(iTime * 10.0 / 255.0, iTimeDelta * 100.0 / 255.0, 0.0);
        else col = vec3(iMouse.xy / 255.0, iMouse.z);
    }
    fragColor = vec4(col, 1.0);
}
