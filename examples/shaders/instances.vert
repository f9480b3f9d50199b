#version 450
// One quad per instance: corners from gl_VertexIndex, the instance's model matrix (4 vec4
// attributes) and colour from the pooled instance buffer, a global UBO per frame in flight.
layout(location = 0) in vec4 model0;
layout(location = 1) in vec4 model1;
layout(location = 2) in vec4 model2;
layout(location = 3) in vec4 model3;
layout(location = 4) in vec4 color;
layout(set = 0, binding = 0) uniform Globals {
    vec4 tint;    // rgb multiplier, a = unused
    vec4 params;  // x = aspect correction
} globals;
layout(location = 0) out vec4 v_color;
layout(location = 1) out vec2 v_uv;

const vec2 corners[6] = vec2[](vec2(-1, -1), vec2(1, -1), vec2(1, 1), vec2(-1, -1), vec2(1, 1), vec2(-1, 1));

void main() {
    mat4 model = mat4(model0, model1, model2, model3);
    vec2 c = corners[gl_VertexIndex];
    vec4 p = model * vec4(c, 0.0, 1.0);
    p.x *= globals.params.x;
    gl_Position = p;
    v_color = vec4(color.rgb * globals.tint.rgb, color.a);
    v_uv = c;
}
