"""Plausible wrong answers for lab 01, each with the test cells it must fail (see autograder/samples.py).

Each typical mistake fails a visible check whose message names it; the comments say which.
"""

TRAIN_PERCEPTRON_HEAD = (
    "def train_perceptron(X, y, lr=0.1, epochs=20):\n"
    "    w, b = np.zeros(X.shape[1]), 0.0\n"
    "    errors_per_epoch = np.zeros(epochs, dtype=int)\n"
    "    for epoch in range(epochs):\n"
)

BUILD_HEAD = "def build_xor_model():\n    model = keras.Sequential([keras.Input(shape=(2,)),\n"

MUTANTS = {
    "step_at_zero_is_on": {  # '>= 0': an activation of exactly 0 switches the unit on
        "cell": "perceptron_predict",
        "source": "def perceptron_predict(X, w, b):\n    return np.where(X @ w + b >= 0, 1, -1)\n",
        "fails": ["test_perceptron_predict", "test_train_perceptron_separable", "test_train_perceptron_xor"],
    },
    "sign_function": {  # np.sign gives 0 where w.x + b = 0
        "cell": "perceptron_predict",
        "source": "def perceptron_predict(X, w, b):\n    return np.sign(X @ w + b)\n",
        "fails": ["test_perceptron_predict", "test_train_perceptron_separable", "test_train_perceptron_xor"],
    },
    "outputs_zero_one": {  # deck 001's formula, 1 / 0, against its +-1 tables
        "cell": "perceptron_predict",
        "source": "def perceptron_predict(X, w, b):\n    return (X @ w + b > 0).astype(int)\n",
        "fails": ["test_perceptron_predict", "test_train_perceptron_separable", "test_train_perceptron_xor",
                  "test_xor_from_gates"],
    },
    "bias_subtracted": {  # w.x - b, a threshold b instead of a bias
        "cell": "perceptron_predict",
        "source": "def perceptron_predict(X, w, b):\n    return np.where(X @ w - b > 0, 1, -1)\n",
        "fails": ["test_perceptron_predict", "test_train_perceptron_separable", "test_train_perceptron_xor",
                  "test_xor_from_gates"],
    },
    "or_and_swapped": {
        "cell": "gate_params",
        "source": "OR_PARAMS = (np.array([1.0, 1.0]), -1.0)\nAND_PARAMS = (np.array([1.0, 1.0]), 1.0)\n",
        "fails": ["test_or_params", "test_and_params", "test_xor_from_gates"],
    },
    "or_bias_zero": {  # the boundary passes through (-1, 1) and (1, -1): the strict > makes them -1
        "cell": "gate_params",
        "source": "OR_PARAMS = (np.array([1.0, 1.0]), 0.0)\nAND_PARAMS = (np.array([1.0, 1.0]), -1.0)\n",
        "fails": ["test_or_params", "test_xor_from_gates"],
    },
    "gates_for_zero_one_inputs": {  # the textbook 0/1 gates (b = -0.5 for OR, -1.5 for AND) on +-1 corners
        "cell": "gate_params",
        "source": "OR_PARAMS = (np.array([1.0, 1.0]), -0.5)\nAND_PARAMS = (np.array([1.0, 1.0]), -1.5)\n",
        "fails": ["test_or_params", "test_xor_from_gates"],
    },
    "no_bias_update": {
        "cell": "train_perceptron",
        "source": TRAIN_PERCEPTRON_HEAD + (
            "        for x_i, y_i in zip(X, y):\n"
            "            y_hat = perceptron_predict(x_i[None, :], w, b)[0]\n"
            "            if y_hat != y_i:\n"
            "                w = w + lr * (y_i - y_hat) * x_i\n"
            "                errors_per_epoch[epoch] += 1\n"
            "    return w, float(b), errors_per_epoch\n"
        ),
        "fails": ["test_train_perceptron_separable", "test_train_perceptron_xor"],
    },
    "update_without_factor_two": {  # w += lr * y * x: the same predictions, but not the docstring's rule
        "cell": "train_perceptron",
        "source": TRAIN_PERCEPTRON_HEAD + (
            "        for x_i, y_i in zip(X, y):\n"
            "            y_hat = perceptron_predict(x_i[None, :], w, b)[0]\n"
            "            if y_hat != y_i:\n"
            "                w = w + lr * y_i * x_i\n"
            "                b = b + lr * y_i\n"
            "                errors_per_epoch[epoch] += 1\n"
            "    return w, float(b), errors_per_epoch\n"
        ),
        "fails": ["test_train_perceptron_separable", "test_train_perceptron_xor"],
    },
    "predictions_once_per_epoch": {  # vectorised: every y_hat from the weights at the start of the epoch
        "cell": "train_perceptron",
        "source": TRAIN_PERCEPTRON_HEAD + (
            "        y_hat = perceptron_predict(X, w, b)\n"
            "        for x_i, y_i, p_i in zip(X, y, y_hat):\n"
            "            if p_i != y_i:\n"
            "                w = w + lr * (y_i - p_i) * x_i\n"
            "                b = b + lr * (y_i - p_i)\n"
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
        "source": TRAIN_PERCEPTRON_HEAD + (
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
    "xor_without_perceptrons": {  # right on the four corners, but no gates
        "cell": "xor_from_gates",
        "source": "def xor_from_gates(X):\n    return np.where(X[:, 0] != X[:, 1], 1, -1)\n",
        "fails": ["test_xor_from_gates"],
    },
    "not_as_one_minus_x": {  # the 0/1 negation 1 - x: right on the corners with these gates, wrong between them
        "cell": "xor_from_gates",
        "source": (
            "def xor_from_gates(X):\n"
            "    h1 = perceptron_predict(np.stack([X[:, 0], 1 - X[:, 1]], axis=1), *AND_PARAMS)\n"
            "    h2 = perceptron_predict(np.stack([1 - X[:, 0], X[:, 1]], axis=1), *AND_PARAMS)\n"
            "    return perceptron_predict(np.stack([h1, h2], axis=1), *OR_PARAMS)\n"
        ),
        "fails": ["test_xor_from_gates"],
    },
    "truth_table_lookup": {  # the table, not the network: exactly 0 and 1
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
    "deck_architecture": {  # deck 000's Dense(2, relu) with Adam's default rate
        "cell": "build_xor_model",
        "source": BUILD_HEAD + (
            "                              keras.layers.Dense(2, activation='relu'),\n"
            "                              keras.layers.Dense(1, activation='sigmoid')])\n"
            "    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'],\n"
            "                  steps_per_execution=250)\n"
            "    return model\n"
        ),
        "fails": ["test_build_xor_model"],
    },
    "linear_hidden_layer": {  # Dense(8) without an activation: two linear layers are one
        "cell": "build_xor_model",
        "source": BUILD_HEAD + (
            "                              keras.layers.Dense(8),\n"
            "                              keras.layers.Dense(1, activation='sigmoid')])\n"
            "    model.compile(optimizer=keras.optimizers.Adam(0.05), loss='binary_crossentropy',\n"
            "                  metrics=['accuracy'], steps_per_execution=250)\n"
            "    return model\n"
        ),
        "fails": ["test_build_xor_model"],
    },
    "adam_default_rate": {  # optimizer='adam' keeps the learning rate 0.001
        "cell": "build_xor_model",
        "source": BUILD_HEAD + (
            "                              keras.layers.Dense(8, activation='tanh'),\n"
            "                              keras.layers.Dense(1, activation='sigmoid')])\n"
            "    model.compile(optimizer='adam', loss='binary_crossentropy', metrics=['accuracy'],\n"
            "                  steps_per_execution=250)\n"
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
    "fit_shuffles": {  # fit's default shuffle=True: steps mix copies of the samples at random
        "cell": "train_xor_model",
        "source": (
            "def train_xor_model(model, X, y, steps=500):\n"
            "    model.fit(np.tile(X, (250, 1)), np.tile(y, 250), batch_size=4, epochs=steps // 250, verbose=0)\n"
            "    return model\n"
        ),
        "fails": ["test_train_xor_model"],
    },
    "default_batch_size": {  # batch_size left at 32: 32 steps per epoch instead of 250
        "cell": "train_xor_model",
        "source": (
            "def train_xor_model(model, X, y, steps=500):\n"
            "    model.fit(np.tile(X, (250, 1)), np.tile(y, 250), epochs=steps // 250, shuffle=False, verbose=0)\n"
            "    return model\n"
        ),
        "fails": ["test_train_xor_model"],
    },
    "returns_history": {
        "cell": "train_xor_model",
        "source": (
            "def train_xor_model(model, X, y, steps=500):\n"
            "    return model.fit(np.tile(X, (250, 1)), np.tile(y, 250), batch_size=4, epochs=steps // 250,\n"
            "                     shuffle=False, verbose=0)\n"
        ),
        "fails": ["test_train_xor_model"],
    },
}
