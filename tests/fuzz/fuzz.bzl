"""ledger_fuzz_target: one fuzz target, built two ways.

  NAME_regression  cc_test with the normal toolchain: regression_main.cc runs every seed in
                   corpus/NAME/ and every crasher in regressions/NAME/, then `mutations`
                   deterministic mutations of them. Fails on an empty corpus or any abort.
  NAME_fuzzer      cc_binary linked with -fsanitize=fuzzer (libFuzzer), tagged manual: build it
                   with `--config=fuzz` (clang-14, ASan + UBSan), as scripts/fuzz.sh does.

The target's sources define LLVMFuzzerTestOneInput and use tests/fuzz/fuzz_support.h.
"""

def ledger_fuzz_target(name, srcs, deps = [], mutations = 2000, size = "small", timeout = None):
    lib = name + "_lib"
    native.cc_library(
        name = lib,
        testonly = True,
        srcs = srcs,
        deps = deps + [":fuzz_support"],
        alwayslink = True,
    )
    native.cc_test(
        name = name + "_regression",
        size = size,
        timeout = timeout,
        args = [
            "--corpus=tests/fuzz/corpus/" + name,
            "--regressions=tests/fuzz/regressions/" + name,
            "--mutations=%d" % mutations,
        ],
        data = native.glob([
            "corpus/" + name + "/**",
            "regressions/" + name + "/**",
        ]),
        deps = [
            lib,
            ":regression_main",
        ],
    )
    native.cc_binary(
        name = name + "_fuzzer",
        testonly = True,
        linkopts = ["-fsanitize=fuzzer"],
        tags = ["manual"],
        deps = [lib],
    )
