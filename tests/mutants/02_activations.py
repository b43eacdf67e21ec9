"""Plausible wrong answers for lab 02, each with the test cells it must fail (see autograder/samples.py).

Several answer cells hold more than one function; a mutant replaces the whole cell, so its source is
the cell as a student would write it with one function wrong (built from the correct pieces below).
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


MUTANTS = {
    "step_zero_at_zero": {  # the strict > of lab 01's perceptron instead of deck 000's >=
        "cell": "piecewise_linear",
        "source": cell(LINEAR, "def step(z):\n    return np.where(np.asarray(z) > 0, 1.0, 0.0)\n", RELU, LEAKY, PRELU),
        "fails": ["test_linear_step_relu"],
    },
    "leaky_alpha_fixed_at_0_1": {  # deck 001's max(0.1 z, z), ignoring alpha
        "cell": "piecewise_linear",
        "source": cell(LINEAR, STEP, RELU, "def leaky_relu(z, alpha=0.01):\n    return np.maximum(0.1 * z, z)\n", PRELU),
        "fails": ["test_leaky_relu_prelu"],
    },
    "sigmoid_exp_overflows": {  # deck 000's formula typed as is: exp(1000) overflows (a RuntimeWarning)
        "cell": "smooth_activations",
        "source": cell("def sigmoid(z):\n    return 1 / (1 + np.exp(-z))\n", TANH, SWISH),
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
    "softmax_without_max_shift": {
        "cell": "softmax",
        "source": "def softmax(z, axis=-1):\n    e = np.exp(z)\n    return e / np.sum(e, axis=axis, keepdims=True)\n",
        "fails": ["test_softmax_stable"],
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
    "sigmoid_grad_of_z": {  # sigma(z) (1 - z) instead of sigma(z) (1 - sigma(z))
        "cell": "smooth_grads",
        "source": cell("def sigmoid_grad(z):\n    return sigmoid(z) * (1 - z)\n", TANH_GRAD, SWISH_GRAD),
        "fails": ["test_sigmoid_tanh_grad", "test_chain_gradient"],
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
    "plot_function_only": {
        "cell": "plot_activations",
        "source": (
            "def plot_activations(names, z):\n"
            "    fig, axes = plt.subplots(1, len(names), figsize=(4 * len(names), 3), squeeze=False)\n"
            "    for ax, name in zip(axes[0], names):\n"
            "        ax.plot(z, ACTIVATIONS[name][0](z), label=name)\n"
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
    "lecun_ratio_inverted": {
        "cell": "lecun_tanh",
        "source": "def lecun_tanh(z):\n    return 1.7159 * np.tanh(3 * z / 2)\n",
        "fails": ["test_lecun_tanh"],
    },
}
