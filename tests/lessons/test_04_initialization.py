"""Lesson 04: the source earns full marks, and plausible wrong answers lose only their points."""

from lessons.patching import lesson_tests, one_test_per_exercise, single_edits

LESSON = "04-initialization"
POINTS = {"test_xavier_uniform": 2, "test_kaiming_normal": 2, "test_layer_statistics": 3,
          "test_diagnose": 2, "test_make_deep_network": 3}
EXERCISE_TESTS = one_test_per_exercise(POINTS)

# (solution cell, text in the solution, wrong replacement, label, words the failure must contain)
WRONG_ANSWERS = [
    ("xavier_uniform", "np.sqrt(2.0 / (fan_in + fan_out))", "np.sqrt(1.0 / fan_in)",
     "Xavier with fan_in only", "Hint"),
    ("xavier_uniform", "bound = np.sqrt(3.0) * std", "bound = std",
     "uniform bound without sqrt(3)", "Hint"),
    ("xavier_uniform", "rng.uniform(-bound, bound, size=(fan_out, fan_in))",
     "rng.normal(0.0, std, size=(fan_out, fan_in))", "normal instead of uniform", "[-b, b]"),
    ("xavier_uniform", "rng.uniform(-bound, bound, size=(fan_out, fan_in))",
     "np.random.uniform(-bound, bound, size=(fan_out, fan_in))", "ignores the rng argument",
     "seeded alike"),
    ("xavier_uniform", "size=(fan_out, fan_in)", "size=(fan_in, fan_out)", "transposed shape",
     "expected shape"),
    ("kaiming_normal", 'if nonlinearity == "relu":\n        gain = np.sqrt(2.0)',
     'if nonlinearity == "relu":\n        gain = 5.0 / 3.0', "He with the tanh gain for relu",
     "Hint: std = gain / sqrt(fan)"),
    ("kaiming_normal", 'if mode == "fan_in":\n        fan = fan_in',
     'if mode == "fan_in":\n        fan = fan_out', "fan_out where fan_in is asked",
     "Hint: std = gain / sqrt(fan)"),
    ("kaiming_normal", "gain / np.sqrt(fan)", "gain**2 / fan", "passes the variance as the std",
     "Hint: std = gain / sqrt(fan)"),
    ("kaiming_normal", "np.sqrt(2.0 / (1.0 + a**2))", "np.sqrt(2.0)",
     "leaky_relu gain ignores the slope a", "Hint: std = gain / sqrt(fan)"),
    ("kaiming_normal", "rng.normal(0.0, gain / np.sqrt(fan), size=(fan_out, fan_in))",
     "rng.uniform(-gain / np.sqrt(fan), gain / np.sqrt(fan), size=(fan_out, fan_in))",
     "uniform with the std as bound", "Hint: std = gain / sqrt(fan)"),
    ("kaiming_normal", '    else:\n        raise ValueError(f"unsupported nonlinearity',
     '    else:\n        gain = 1.0\n    if False:\n        raise ValueError(f"unsupported '
     'nonlinearity', "unknown nonlinearity silently gets gain 1", "should raise ValueError"),
    ("layer_statistics", "gradient_std[index] = np.std(grad)",
     "gradient_std[len(linears) - 1 - index] = np.std(grad)", "gradients in arrival order",
     "gradient stds"),
    ("layer_statistics", "output_std[index] = np.std(output.data)",
     "output_std[index] = np.std(inputs[0].data)", "std of the layer's input",
     "output stds"),
    ("layer_statistics", "    return output_std, gradient_std",
     "    return output_std, np.array([np.std(m.weight.grad) for m in linears])",
     "weight gradients instead of dL/dz", "gradient stds"),
    ("layer_statistics", "        for handle in handles:\n            handle.remove()",
     "        pass", "never removes the hooks", "still registered"),
    ("diagnose", "backward = gradient_std[0] / gradient_std[-1]",
     "backward = gradient_std[-1] / gradient_std[0]", "gradient ratio in the wrong direction",
     "diagnose("),
    ("diagnose", "if forward > factor or backward > factor:", "if forward > factor:",
     "looks only at the forward pass (exploding)", "diagnose("),
    ("diagnose", "if not (forward >= 1.0 / factor and backward >= 1.0 / factor):",
     "if forward < 1.0 / factor:", "looks only at the forward pass (vanishing)", "diagnose("),
    ("diagnose", "if not (forward >= 1.0 / factor and backward >= 1.0 / factor):",
     "if forward < 1.0 / factor or backward < 1.0 / factor:", "0 / 0 is not vanishing",
     "all zero outputs"),
    ("diagnose", "forward > factor or backward > factor", "forward > 100 or backward > 100",
     "ignores the factor argument", "factor=10"),
    ("make_deep_network", 'nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")',
     "nn.init.normal_(layer.weight, 0.0, 0.01)", "naive N(0, 0.01^2)", "validation accuracy"),
    ("make_deep_network", '        nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")\n'
     "        nn.init.zeros_(layer.bias)\n", "", "keeps the Linear default init",
     "validation accuracy"),
    ("make_deep_network", 'nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")',
     "nn.init.zeros_(layer.weight)", "all-zero weights", "validation accuracy"),
    ("make_deep_network", "layers.append(nn.ReLU())", "layers.append(nn.Tanh())",
     "swaps ReLU for tanh", "ReLU"),
]


(run, test_source_earns_full_marks, test_wrong_answer_loses_only_its_exercise,
 test_unanswered_exercise_loses_only_its_points) = lesson_tests(LESSON, POINTS, EXERCISE_TESTS,
                                                                single_edits(WRONG_ANSWERS))
