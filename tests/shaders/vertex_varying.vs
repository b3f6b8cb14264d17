varying vec2 custom;

void main() {
	isf_vertShaderInit();
	custom = vec2(1.0 - isf_FragNormCoord.x, 0.5 * isf_FragNormCoord.y);
}
