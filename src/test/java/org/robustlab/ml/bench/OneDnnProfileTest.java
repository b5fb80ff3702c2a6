package org.robustlab.ml.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The profile reads oneDNN's execution lines of both major versions, and nothing else. */
class OneDnnProfileTest {

    @Test
    void readsExecutionLinesOfOneDnnTwoAndThree() {
        OneDnnProfile.Exec v3 = OneDnnProfile.parse("onednn_verbose,v1,primitive,exec,cpu,convolution,brgconv:avx512_core,"
                + "forward_training,src:f32::blocked:acdb::f0 wei:f32:a:blocked:Acdb16a::f0 bia:f32:a:blocked:a::f0 dst:f32::blocked:acdb::f0,"
                + "attr-scratchpad:user,alg:convolution_direct,mb128_ic32oc64_ih14oh14kh3sh1dh0ph1_iw14ow14kw3sw1dw0pw1,0.512939");
        assertThat(v3).isEqualTo(new OneDnnProfile.Exec("convolution", "brgconv:avx512_core", "forward_training",
                "mb128_ic32oc64_ih14oh14kh3sh1dh0ph1_iw14ow14kw3sw1dw0pw1", 0.512939));
        OneDnnProfile.Exec v2 = OneDnnProfile.parse("onednn_verbose,exec,cpu,pooling,jit:avx512_core,forward_training,"
                + "src_f32::blocked:aBcd16b:f0 dst_f32::blocked:aBcd16b:f0 ws_undef::undef::f0,,alg:pooling_max,"
                + "mb128ic32_ih28oh14kh2sh2dh0ph0_iw28ow14kw2sw2dw0pw0,0.08");
        assertThat(v2.kind()).isEqualTo("pooling");
        assertThat(v2.impl()).isEqualTo("jit:avx512_core");
        assertThat(v2.ms()).isEqualTo(0.08);
        // creation lines, the ISA line and anything else are not executions
        assertThat(OneDnnProfile.parse("onednn_verbose,v1,info,cpu,isa:Intel AVX-512 with AVX512BW, AVX512VL, and AVX512DQ extensions"))
                .isNull();
        assertThat(OneDnnProfile.parse("onednn_verbose,v1,primitive,create:cache_miss,cpu,convolution,brgconv:avx512_core,"
                + "forward_training,src:f32,,alg:convolution_direct,mb1_ic1oc32_ih28oh28kh3sh1dh0ph1_iw28ow28kw3sw1dw0pw1,0.1")).isNull();
        assertThat(OneDnnProfile.parse("small-cnn/standard   87.5 ms/step (median of 30)")).isNull();
    }

    @Test
    void sumsPerStep() {
        OneDnnProfile.Side side = new OneDnnProfile.Side();
        side.add(new OneDnnProfile.Exec("convolution", "brgconv:avx512_core", "forward_training", "mb128_ic1oc32", 2.0));
        side.add(new OneDnnProfile.Exec("convolution", "brgconv:avx512_core", "forward_training", "mb128_ic1oc32", 4.0));
        side.add(new OneDnnProfile.Exec("pooling", "jit:avx512_core", "forward_training", "mb128ic32", 1.0));
        StringBuilder sb = new StringBuilder();
        OneDnnProfile.table(sb, "ours", side, 10.0, 2, 5);
        assertThat(sb.toString()).contains("in oneDNN: 3.5 ms per step").contains("outside oneDNN: 6.5 ms")
                .contains("| convolution | brgconv:avx512_core | forward_training | mb128_ic1oc32 | 1.0 | 3.00 |");
    }
}
