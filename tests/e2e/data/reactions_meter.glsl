// Test: ShaderToy code reads CROWD_REACTIONS too; grey at CROWD_REACTIONS / 8.
void mainImage(out vec4 fragColor, in vec2 fragCoord) {
    fragColor = vec4(vec3(clamp(CROWD_REACTIONS / 8.0, 0.0, 1.0)), 1.0);
}
