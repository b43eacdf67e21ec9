"""Plausible wrong answers for lab 01, each with the test cells it must fail (see autograder/samples.py)."""

MUTANTS = {
    "step_at_zero_is_on": {
        "cell": "perceptron_predict",
        "source": "def perceptron_predict(X, w, b):\n    return np.where(X @ w + b >= 0, 1, -1)\n",
        "fails": ["test_perceptron_predict", "test_train_perceptron_separable", "test_train_perceptron_xor"],
    },
    "outputs_zero_one": {
        "cell": "perceptron_predict",
        "source": "def perceptron_predict(X, w, b):\n    return (X @ w + b > 0).astype(int)\n",
        "fails": ["test_perceptron_predict", "test_train_perceptron_separable", "test_train_perceptron_xor",
                  "test_xor_from_gates"],
    },
    "or_and_swapped": {
        "cell": "gate_params",
        "source": "OR_PARAMS = (np.array([1.0, 1.0]), -1.0)\nAND_PARAMS = (np.array([1.0, 1.0]), 1.0)\n",
        "fails": ["test_or_params", "test_and_params", "test_xor_from_gates"],
    },
    "or_bias_zero": {
        "cell": "gate_params",
        "source": "OR_PARAMS = (np.array([1.0, 1.0]), 0.0)\nAND_PARAMS = (np.array([1.0, 1.0]), -1.0)\n",
        "fails": ["test_or_params", "test_xor_from_gates"],
    },
    "no_bias_update": {
        "cell": "train_perceptron",
        "source": (
            "def train_perceptron(X, y, lr=0.1, epochs=20):\n"
            "    w, b = np.zeros(X.shape[1]), 0.0\n"
            "    errors_per_epoch = np.zeros(epochs, dtype=int)\n"
            "    for epoch in range(epochs):\n"
            "        for x_i, y_i in zip(X, y):\n"
            "            y_hat = perceptron_predict(x_i[None, :], w, b)[0]\n"
            "            if y_hat != y_i:\n"
            "                w = w + lr * (y_i - y_hat) * x_i\n"
            "                errors_per_epoch[epoch] += 1\n"
            "    return w, float(b), errors_per_epoch\n"
        ),
        "fails": ["test_train_perceptron_separable", "test_train_perceptron_xor"],
    },
    "stops_at_zero_errors": {
        "cell": "train_perceptron",
        "source": (
            "def train_perceptron(X, y, lr=0.1, epochs=20):\n"
            "    w, b = np.zeros(X.shape[1]), 0.0\n"
            "    errors_per_epoch = []\n"
            "    for epoch in range(epochs):\n"
            "        errors = 0\n"
            "        for x_i, y_i in zip(X, y):\n"
            "            y_hat = perceptron_predict(x_i[None, :], w, b)[0]\n"
            "            if y_hat != y_i:\n"
            "                w = w + lr * (y_i - y_hat) * x_i\n"
            "                b = b + lr * (y_i - y_hat)\n"
            "                errors += 1\n"
            "        errors_per_epoch.append(errors)\n"
            "        if errors == 0:\n"
            "            break\n"
            "    return w, float(b), np.array(errors_per_epoch)\n"
        ),
        "fails": ["test_train_perceptron_separable"],
    },
    "errors_counted_after_epoch": {
        "cell": "train_perceptron",
        "source": (
            "def train_perceptron(X, y, lr=0.1, epochs=20):\n"
            "    w, b = np.zeros(X.shape[1]), 0.0\n"
            "    errors_per_epoch = np.zeros(epochs, dtype=int)\n"
            "    for epoch in range(epochs):\n"
            "        for x_i, y_i in zip(X, y):\n"
            "            y_hat = perceptron_predict(x_i[None, :], w, b)[0]\n"
            "            if y_hat != y_i:\n"
            "                w = w + lr * (y_i - y_hat) * x_i\n"
            "                b = b + lr * (y_i - y_hat)\n"
            "        errors_per_epoch[epoch] = int((perceptron_predict(X, w, b) != y).sum())\n"
            "    return w, float(b), errors_per_epoch\n"
        ),
        "fails": ["test_train_perceptron_separable", "test_train_perceptron_xor"],
    },
    "xnor_gates": {
        "cell": "xor_from_gates",
        "source": (
            "def xor_from_gates(X):\n"
            "    h1 = perceptron_predict(X, *AND_PARAMS)\n"
            "    h2 = perceptron_predict(-X, *AND_PARAMS)\n"
            "    return perceptron_predict(np.stack([h1, h2], axis=1), *OR_PARAMS)\n"
        ),
        "fails": ["test_xor_from_gates"],
    },
    "xor_without_perceptrons": {
        "cell": "xor_from_gates",
        "source": "def xor_from_gates(X):\n    return np.where(X[:, 0] != X[:, 1], 1, -1)\n",
        "fails": ["test_xor_from_gates"],
    },
    "truth_table_lookup": {
        "cell": "sigmoid_xor_network",
        "source": "def sigmoid_xor_network(X):\n    return np.logical_xor(X[:, 0] > 0.5, X[:, 1] > 0.5).astype(float)\n",
        "fails": ["test_sigmoid_xor_network"],
    },
    "output_unit_is_or": {
        "cell": "sigmoid_xor_network",
        "source": (
            "def sigmoid_xor_network(X):\n"
            "    sigma = lambda z: 1 / (1 + np.exp(-z))\n"
            "    h1 = sigma(20 * X[:, 0] + 20 * X[:, 1] - 10)\n"
            "    h2 = sigma(-20 * X[:, 0] - 20 * X[:, 1] + 30)\n"
            "    return sigma(20 * h1 + 20 * h2 - 10)\n"
        ),
        "fails": ["test_sigmoid_xor_network"],
    },
    "linear_hidden_layer": {
        "cell": "build_xor_model",
        "source": (
            "def build_xor_model():\n"
            "    model = keras.Sequential([keras.Input(shape=(2,)), keras.layers.Dense(8),\n"
            "                              keras.layers.Dense(1, activation='sigmoid')])\n"
            "    model.compile(optimizer=keras.optimizers.Adam(0.05), loss='binary_crossentropy',\n"
            "                  metrics=['accuracy'], steps_per_execution=250)\n"
            "    return model\n"
        ),
        "fails": ["test_build_xor_model"],
    },
    "deck_fit_few_epochs": {
        "cell": "train_xor_model",
        "source": (
            "def train_xor_model(model, X, y, steps=500):\n"
            "    model.fit(X, y, epochs=5, verbose=0)\n"
            "    return model\n"
        ),
        "fails": ["test_train_xor_model"],
    },
}
