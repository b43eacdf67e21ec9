"""Plausible wrong answers for lab 02, each with the test cells it must fail (see autograder/samples.py).

Several answer cells hold more than one function; a mutant replaces the whole cell, so its source is
the cell as a student would write it with one function wrong (built from the correct pieces below).
Each typical mistake fails a visible check whose message names it; the comments say which.
"""

LINEAR = "def linear(z):\n    return np.asarray(z) * 1.0\n"
STEP = "def step(z):\n    return np.where(np.asarray(z) >= 0, 1.0, 0.0)\n"
RELU = "def relu(z):\n    return np.maximum(z, 0.0)\n"
LEAKY = "def leaky_relu(z, alpha=0.01):\n    return np.where(z > 0, z, alpha * z)\n"
PRELU = "def prelu(z, alpha):\n    return np.where(z > 0, z, alpha * z)\n"

SIGMOID = (
    "def sigmoid(z):\n"
    "    z = np.asarray(z)\n"
    "    e = np.exp(-np.abs(z))\n"
    "    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))\n"
)
TANH = "def tanh(z):\n    return np.tanh(z)\n"
SWISH = "def swish(z, beta=1.0):\n    return z * sigmoid(beta * z)\n"

SIGMOID_GRAD = "def sigmoid_grad(z):\n    s = sigmoid(z)\n    return s * (1 - s)\n"
TANH_GRAD = "def tanh_grad(z):\n    return 1 - tanh(z) ** 2\n"
SWISH_GRAD = (
    "def swish_grad(z, beta=1.0):\n"
    "    s = sigmoid(beta * z)\n"
    "    return s + beta * z * s * (1 - s)\n"
)
RELU_GRAD = "def relu_grad(z):\n    return np.where(z > 0, 1.0, 0.0)\n"
LEAKY_GRAD = "def leaky_relu_grad(z, alpha=0.01):\n    return np.where(z > 0, 1.0, alpha)\n"


def cell(*functions):
    return "\n\n".join(functions)


def plot_cell(body):
    """plot_activations with the per-panel BODY (uses ax, z, f, df, name) on a grid of 3 columns."""
    return (
        "def plot_activations(names, z):\n"
        "    fig, axes = plt.subplots(-(-len(names) // 3), 3, figsize=(12, 6), squeeze=False)\n"
        "    for ax, name in zip(axes.flat, names):\n"
        "        f, df = ACTIVATIONS[name]\n"
        + body +
        "        ax.set_title(name)\n"
        "        ax.legend()\n"
        "    for ax in axes.flat[len(names):]:\n"
        "        ax.remove()\n"
        "    return fig\n"
    )


MUTANTS = {
    "step_zero_at_zero": {  # the strict > of lab 01's perceptron instead of deck 000's >=
        "cell": "piecewise_linear",
        "source": cell(LINEAR, "def step(z):\n    return np.where(np.asarray(z) > 0, 1.0, 0.0)\n", RELU, LEAKY, PRELU),
        "fails": ["test_linear_step_relu"],
    },
    "step_returns_bool": {  # z >= 0 prints like 0 / 1 but is a boolean array
        "cell": "piecewise_linear",
        "source": cell(LINEAR, "def step(z):\n    return np.asarray(z) >= 0\n", RELU, LEAKY, PRELU),
        "fails": ["test_linear_step_relu"],
    },
    "relu_mask_product": {  # z * (z > 0): -inf * 0 = nan, with a RuntimeWarning
        "cell": "piecewise_linear",
        "source": cell(LINEAR, STEP, "def relu(z):\n    return z * (z > 0)\n", LEAKY, PRELU),
        "fails": ["test_linear_step_relu"],
    },
    "leaky_alpha_fixed_at_0_1": {  # deck 001's max(0.1 z, z), ignoring alpha
        "cell": "piecewise_linear",
        "source": cell(LINEAR, STEP, RELU, "def leaky_relu(z, alpha=0.01):\n    return np.maximum(0.1 * z, z)\n", PRELU),
        "fails": ["test_leaky_relu_prelu"],
    },
    "leaky_default_alpha_0_1": {  # deck 001's slope as the default
        "cell": "piecewise_linear",
        "source": cell(LINEAR, STEP, RELU, "def leaky_relu(z, alpha=0.1):\n    return np.where(z > 0, z, alpha * z)\n", PRELU),
        "fails": ["test_leaky_relu_prelu"],
    },
    "sigmoid_exp_overflows": {  # deck 000's formula typed as is: exp(1000) overflows (a RuntimeWarning)
        "cell": "smooth_activations",
        "source": cell("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n", TANH, SWISH),
        "fails": ["test_saturating_extremes", "test_sigmoid_tanh_grad", "test_swish_grad"],
    },
    "sigmoid_where_both_branches": {  # np.where evaluates both branches: exp(z) overflows in the unused one
        "cell": "smooth_activations",
        "source": cell(
            "def sigmoid(z):\n"
            "    z = np.asarray(z)\n"
            "    return np.where(z >= 0, 1 / (1 + np.exp(-z)), np.exp(z) / (1 + np.exp(z)))\n",
            TANH, SWISH),
        "fails": ["test_saturating_extremes", "test_sigmoid_tanh_grad", "test_swish_grad"],
    },
    "sigmoid_clipped_at_500": {  # safe in float64, but float32's exp overflows above 88.7
        "cell": "smooth_activations",
        "source": cell("def sigmoid(z):\n    z = np.clip(z, -500, 500)\n    return 1 / (1 + np.exp(-z))\n", TANH, SWISH),
        "fails": ["test_saturating_extremes", "test_sigmoid_tanh_grad", "test_swish_grad"],
    },
    "tanh_from_exponentials": {  # deck 000's (e^z - e^-z) / (e^z + e^-z): inf / inf = nan at 1000
        "cell": "smooth_activations",
        "source": cell(SIGMOID, "def tanh(z):\n    return (np.exp(z) - np.exp(-z)) / (np.exp(z) + np.exp(-z))\n", SWISH),
        "fails": ["test_saturating_extremes", "test_sigmoid_tanh_grad"],
    },
    "swish_ignores_beta": {
        "cell": "smooth_activations",
        "source": cell(SIGMOID, TANH, "def swish(z, beta=1.0):\n    return z * sigmoid(z)\n"),
        "fails": ["test_sigmoid_tanh_swish"],
    },
    "swish_beta_outside": {  # beta z sigmoid(z) instead of z sigmoid(beta z)
        "cell": "smooth_activations",
        "source": cell(SIGMOID, TANH, "def swish(z, beta=1.0):\n    return beta * z * sigmoid(z)\n"),
        "fails": ["test_sigmoid_tanh_swish", "test_saturating_extremes"],
    },
    "softmax_without_max_shift": {
        "cell": "softmax",
        "source": "def softmax(z, axis=-1):\n    e = np.exp(z)\n    return e / np.sum(e, axis=axis, keepdims=True)\n",
        "fails": ["test_softmax_stable"],
    },
    "softmax_global_max": {  # one maximum for the whole batch: rows far below it underflow to 0 / 0
        "cell": "softmax",
        "source": "def softmax(z, axis=-1):\n    e = np.exp(z - np.max(z))\n    return e / np.sum(e, axis=axis, keepdims=True)\n",
        "fails": ["test_softmax_stable"],
    },
    "softmax_without_keepdims": {  # reduced axes broadcast along the wrong axis (or not at all)
        "cell": "softmax",
        "source": "def softmax(z, axis=-1):\n    e = np.exp(z - np.max(z, axis=axis))\n    return e / np.sum(e, axis=axis)\n",
        "fails": ["test_softmax_values", "test_softmax_stable"],
    },
    "softmax_ignores_axis": {
        "cell": "softmax",
        "source": (
            "def softmax(z, axis=-1):\n"
            "    e = np.exp(z - np.max(z, axis=-1, keepdims=True))\n"
            "    return e / np.sum(e, axis=-1, keepdims=True)\n"
        ),
        "fails": ["test_softmax_values"],
    },
    "sum_normalise_whole_array": {  # forgets the axis: divides by the sum of every entry
        "cell": "sum_normalise",
        "source": "def sum_normalise(z):\n    return z / np.sum(z)\n",
        "fails": ["test_sum_normalise"],
    },
    "forward_difference": {
        "cell": "numerical_derivative",
        "source": "def numerical_derivative(f, z, eps=1e-5):\n    return (f(z + eps) - f(z)) / eps\n",
        "fails": ["test_numerical_derivative"],
    },
    "central_difference_over_eps": {  # the 2 of 2 eps forgotten
        "cell": "numerical_derivative",
        "source": (
            "def numerical_derivative(f, z, eps=1e-5):\n"
            "    z = np.asarray(z, dtype=np.float64)\n"
            "    return (f(z + eps) - f(z - eps)) / eps\n"
        ),
        "fails": ["test_numerical_derivative"],
    },
    "difference_in_float32": {  # no conversion to float64: z + 1e-5 is rounded in float32
        "cell": "numerical_derivative",
        "source": "def numerical_derivative(f, z, eps=1e-5):\n    return (f(z + eps) - f(z - eps)) / (2 * eps)\n",
        "fails": ["test_numerical_derivative"],
    },
    "sigmoid_grad_of_z": {  # sigma(z) (1 - z) instead of sigma(z) (1 - sigma(z))
        "cell": "smooth_grads",
        "source": cell("def sigmoid_grad(z):\n    return sigmoid(z) * (1 - z)\n", TANH_GRAD, SWISH_GRAD),
        "fails": ["test_sigmoid_tanh_grad", "test_chain_gradient"],
    },
    "sigmoid_grad_from_exp": {  # e^-z / (1 + e^-z)^2 overflows to inf / inf at z = -1000
        "cell": "smooth_grads",
        "source": cell("def sigmoid_grad(z):\n    return np.exp(-z) / (1 + np.exp(-z)) ** 2\n", TANH_GRAD, SWISH_GRAD),
        "fails": ["test_sigmoid_tanh_grad"],
    },
    "tanh_grad_sech": {  # 1 / cosh(z)^2: cosh overflows at 1000
        "cell": "smooth_grads",
        "source": cell(SIGMOID_GRAD, "def tanh_grad(z):\n    return 1 / np.cosh(z) ** 2\n", SWISH_GRAD),
        "fails": ["test_sigmoid_tanh_grad"],
    },
    "swish_grad_drops_beta": {  # the chain rule's inner factor beta forgotten
        "cell": "smooth_grads",
        "source": cell(SIGMOID_GRAD, TANH_GRAD,
                       "def swish_grad(z, beta=1.0):\n    s = sigmoid(beta * z)\n    return s + z * s * (1 - s)\n"),
        "fails": ["test_swish_grad"],
    },
    "relu_grad_one_at_zero": {  # the opposite convention at the corner
        "cell": "relu_grads",
        "source": cell("def relu_grad(z):\n    return np.where(z >= 0, 1.0, 0.0)\n", LEAKY_GRAD),
        "fails": ["test_relu_grads"],
    },
    "relu_grad_bool": {
        "cell": "relu_grads",
        "source": cell("def relu_grad(z):\n    return np.asarray(z) > 0\n", LEAKY_GRAD),
        "fails": ["test_relu_grads"],
    },
    "plot_function_only": {
        "cell": "plot_activations",
        "source": plot_cell("        ax.plot(z, f(z), label=name)\n"),
        "fails": ["test_plot_activations"],
    },
    "plot_against_index": {  # ax.plot(y) draws against 0, 1, 2, ... instead of z
        "cell": "plot_activations",
        "source": plot_cell("        ax.plot(f(z), label='f')\n        ax.plot(df(z), label=\"f'\")\n"),
        "fails": ["test_plot_activations"],
    },
    "plot_keeps_empty_panels": {
        "cell": "plot_activations",
        "source": (
            "def plot_activations(names, z):\n"
            "    fig, axes = plt.subplots(-(-len(names) // 3), 3, figsize=(12, 6), squeeze=False)\n"
            "    for ax, name in zip(axes.flat, names):\n"
            "        f, df = ACTIVATIONS[name]\n"
            "        ax.plot(z, f(z), label='f')\n"
            "        ax.plot(z, df(z), label=\"f'\")\n"
            "        ax.set_title(name)\n"
            "        ax.legend()\n"
            "    return fig\n"
        ),
        "fails": ["test_plot_activations"],
    },
    "chain_best_point_at_zero": {  # every unit at z = 0: right for sigmoid and tanh, 0 for ReLU
        "cell": "chain_gradient",
        "source": (
            "def chain_gradient(n_layers, activation):\n"
            "    derivative = ACTIVATIONS[activation][1]\n"
            "    return float(derivative(0.0)) ** n_layers\n"
        ),
        "fails": ["test_chain_gradient"],
    },
    "chain_of_the_function": {  # the largest value of f instead of f'
        "cell": "chain_gradient",
        "source": (
            "def chain_gradient(n_layers, activation):\n"
            "    f = ACTIVATIONS[activation][0]\n"
            "    return float(np.max(f(Z_GRID))) ** n_layers\n"
        ),
        "fails": ["test_chain_gradient"],
    },
    "lecun_ratio_inverted": {
        "cell": "lecun_tanh",
        "source": "def lecun_tanh(z):\n    return 1.7159 * np.tanh(3 * z / 2)\n",
        "fails": ["test_lecun_tanh"],
    },
}
