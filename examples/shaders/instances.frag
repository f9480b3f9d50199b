#version 450
// A soft disc per instance.
layout(location = 0) in vec4 v_color;
layout(location = 1) in vec2 v_uv;
layout(location = 0) out vec4 out_color;

void main() {
    float r = dot(v_uv, v_uv);
    if (r > 1.0) discard;
    out_color = vec4(v_color.rgb * (1.0 - 0.6 * r), 1.0);
}
