"""Plausible wrong answers for lab 04, each with the test cells it must fail (see autograder/samples.py).

Each typical mistake fails a VISIBLE check whose message names it.
"""

# Exercise 4's gradient_cost as the master solves it: the two timing mutants change one line each.
GRADIENT_COST = (
    "def gradient_cost(widths, repeats=3, n_samples=8, seed=0):\n"
    "    acts = ['sigmoid', 'sigmoid']\n"
    "    n_params, fd_seconds, bp_seconds = [], [], []\n"
    "    for H in widths:\n"
    "        params = init_mlp([H, H, 1], seed)\n"
    "        rng = np.random.default_rng(seed)\n"
    "        X, t = rng.normal(size=(n_samples, H)), rng.uniform(size=(n_samples, 1))\n"
    "        n_params.append(sum(W.size + b.size for W, b in params))\n"
    "        fd, bp = [], []\n"
    "        for _ in range(repeats):\n"
    "            start = time.perf_counter()\n"
    "            out, caches = mlp_forward(X, params, acts)\n"
    "            mlp_backward(mse_loss(out, t)[1], caches)\n"
    "            bp.append(time.perf_counter() - start)\n"
    "            start = time.perf_counter()\n"
    "            for layer in range(len(params)):\n"
    "                for which in (0, 1):\n"
    "                    def f(value, layer=layer, which=which):\n"
    "                        trial = [list(pair) for pair in params]\n"
    "                        trial[layer][which] = value\n"
    "                        return mse_loss(mlp_forward(X, trial, acts)[0], t)[0]\n"
    "                    numerical_gradient(f, params[layer][which].copy())\n"
    "            fd.append(time.perf_counter() - start)\n"
    "        fd_seconds.append(np.median(fd))\n"
    "        bp_seconds.append(np.median(bp))\n"
    "    return np.array(n_params), np.array(fd_seconds), np.array(bp_seconds)\n"
)

MUTANTS = {
    "graph_local_gradients_swapped": {
        "cell": "graph_forward_backward",
        "source": (
            "def graph_forward_backward(x, y, z):\n"
            "    q = x + y\n"
            "    f = q * z\n"
            "    df_dq = q  # the multiply gate's local gradient taken as its own input\n"
            "    df_dz = z\n"
            "    return f, df_dq, df_dq, df_dz\n"
        ),
        "fails": ["test_graph_forward_backward"],
    },
    "forward_weights_transposed": {
        "cell": "forward",
        "source": (
            "def forward(x, params):\n"
            "    p = params\n"
            "    sigma = lambda z: 1.0 / (1.0 + np.exp(-z))\n"
            "    z_h = np.array([p['w1'] * x[0] + p['w3'] * x[1] + p['b1'],\n"
            "                    p['w2'] * x[0] + p['w4'] * x[1] + p['b1']])\n"
            "    y_h = sigma(z_h)\n"
            "    z_o = np.array([p['w5'] * y_h[0] + p['w7'] * y_h[1] + p['b2'],\n"
            "                    p['w6'] * y_h[0] + p['w8'] * y_h[1] + p['b2']])\n"
            "    y_o = sigma(z_o)\n"
            "    return {'x': x, 'z_h': z_h, 'y_h': y_h, 'z_o': z_o, 'y_o': y_o}\n"
        ),
        "fails": ["test_forward", "test_backward_output_layer", "test_backward_hidden_layer", "test_sgd_update"],
    },
    "error_without_half": {
        "cell": "total_error",
        "source": "def total_error(y_o, t):\n    return float(np.sum((t - y_o) ** 2))\n",
        "fails": ["test_total_error"],
    },
    "backward_missing_sigmoid_derivative": {
        "cell": "backward",
        "source": (
            "def backward(cache, t, params):\n"
            "    p = params\n"
            "    x, y_h, y_o = cache['x'], cache['y_h'], cache['y_o']\n"
            "    delta_o = -(t - y_o)  # forgot y_o * (1 - y_o)\n"
            "    dE_dy_h = np.array([delta_o[0] * p['w5'] + delta_o[1] * p['w7'],\n"
            "                        delta_o[0] * p['w6'] + delta_o[1] * p['w8']])\n"
            "    delta_h = dE_dy_h * y_h * (1 - y_h)\n"
            "    return {'w1': delta_h[0] * x[0], 'w2': delta_h[0] * x[1], 'w3': delta_h[1] * x[0],\n"
            "            'w4': delta_h[1] * x[1], 'w5': delta_o[0] * y_h[0], 'w6': delta_o[0] * y_h[1],\n"
            "            'w7': delta_o[1] * y_h[0], 'w8': delta_o[1] * y_h[1],\n"
            "            'b1': delta_h.sum(), 'b2': delta_o.sum()}\n"
        ),
        "fails": ["test_backward_output_layer", "test_backward_hidden_layer", "test_sgd_update"],
    },
    "sgd_also_updates_biases": {
        "cell": "sgd_update",
        "source": (
            "def sgd_update(params, grads, lr):\n"
            "    return {k: v - lr * grads.get(k, 0.0) for k, v in params.items()}\n"
        ),
        "fails": ["test_sgd_update"],
    },
    "dense_weight_gradient_transposed": {
        "cell": "dense_layer",
        "source": (
            "def dense_forward(x, W, b):\n"
            "    return x @ W + b, (x, W, b)\n"
            "\n"
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return dout @ W.T, dout.T @ x, dout.sum(axis=0)\n"
        ),
        "fails": ["test_dense_layer", "test_mlp_backward", "test_gradient_check", "test_train_mlp_xor"],
    },
    "dense_bias_gradient_averaged": {
        "cell": "dense_layer",
        "source": (
            "def dense_forward(x, W, b):\n"
            "    return x @ W + b, (x, W, b)\n"
            "\n"
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return dout @ W.T, x.T @ dout, dout.mean(axis=0)\n"
        ),
        "fails": ["test_dense_layer", "test_mlp_backward", "test_gradient_check", "test_train_mlp_xor"],
    },
    "sigmoid_derivative_of_input": {
        "cell": "sigmoid_layer",
        "source": (
            "def sigmoid_forward(x):\n"
            "    return 1 / (1 + np.exp(-x)), x\n"
            "\n"
            "def sigmoid_backward(dout, cache):\n"
            "    return dout * cache * (1 - cache)\n"
        ),
        "fails": ["test_sigmoid_layer", "test_mlp_backward", "test_gradient_check", "test_train_mlp_xor"],
    },
    "relu_backward_without_dout": {
        "cell": "relu_layer",
        "source": (
            "def relu_forward(x):\n"
            "    return np.maximum(x, 0), x\n"
            "\n"
            "def relu_backward(dout, cache):\n"
            "    return (cache > 0).astype(float)\n"
        ),
        "fails": ["test_relu_layer", "test_mlp_backward", "test_gradient_check"],
    },
    "mse_gradient_twice": {
        "cell": "mse_loss",
        "source": (
            "def mse_loss(y_hat, t):\n"
            "    n = len(y_hat)\n"
            "    return float(np.sum((y_hat - t) ** 2) / (2 * n)), 2 * (y_hat - t) / n\n"
        ),
        "fails": ["test_mse_loss", "test_gradient_check", "test_train_mlp_xor"],
    },
    "mlp_output_layer_linear": {
        "cell": "mlp_forward",
        "source": (
            "def mlp_forward(X, params, activations):\n"
            "    caches, h = [], X\n"
            "    for i, ((W, b), name) in enumerate(zip(params, activations)):\n"
            "        z, dense_cache = dense_forward(h, W, b)\n"
            "        if i == len(params) - 1:  # no activation on the output layer\n"
            "            name = 'linear'\n"
            "        if name == 'sigmoid':\n"
            "            h, act_cache = sigmoid_forward(z)\n"
            "        elif name == 'relu':\n"
            "            h, act_cache = relu_forward(z)\n"
            "        else:\n"
            "            h, act_cache = z, None\n"
            "        caches.append((dense_cache, name, act_cache))\n"
            "    return h, caches\n"
        ),
        "fails": ["test_mlp_forward", "test_mlp_backward", "test_train_mlp_xor"],
    },
    "one_sided_difference": {
        "cell": "numerical_gradient",
        "source": (
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    grad = np.zeros(x.shape)\n"
            "    f0 = f(x)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        old = x[i]\n"
            "        x[i] = old + eps\n"
            "        grad[i] = (f(x) - f0) / eps\n"
            "        x[i] = old\n"
            "    return grad\n"
        ),
        "fails": ["test_numerical_gradient", "test_gradient_check"],
    },
    "relative_error_without_guard": {
        "cell": "relative_error",
        "source": (
            "def relative_error(a, b):\n"
            "    return float(np.linalg.norm(a - b) / (np.linalg.norm(a) + np.linalg.norm(b)))\n"
        ),
        "fails": ["test_relative_error"],
    },
    "tape_with_keras_mse": {
        "cell": "tape_gradients",
        "source": (
            "def tape_gradients(model, X, t):\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = keras.losses.MeanSquaredError()(t, model(X))\n"
            "    grads = tape.gradient(loss, model.trainable_variables)\n"
            "    return [(grads[i].numpy(), grads[i + 1].numpy()) for i in range(0, len(grads), 2)]\n"
        ),
        "fails": ["test_tape_gradients"],
    },
    "cost_counts_weights_only": {
        "cell": "gradient_cost",
        "source": GRADIENT_COST.replace("sum(W.size + b.size for W, b in params)", "sum(W.size for W, b in params)"),
        "fails": ["test_gradient_cost"],
    },
    "cost_times_swapped": {
        "cell": "gradient_cost",
        "source": GRADIENT_COST.replace("np.array(fd_seconds), np.array(bp_seconds)",
                                        "np.array(bp_seconds), np.array(fd_seconds)"),
        "fails": ["test_gradient_cost"],
    },
    "graph_returns_f_as_df_dz": {
        "cell": "graph_forward_backward",
        "source": (
            "def graph_forward_backward(x, y, z):\n"
            "    q = x + y\n"
            "    f = q * z\n"
            "    return f, z, z, f\n"
        ),
        "fails": ["test_graph_forward_backward"],
    },
    "error_mean_over_outputs": {
        "cell": "total_error",
        "source": "def total_error(y_o, t):\n    return float(np.mean(0.5 * (t - y_o) ** 2))\n",
        "fails": ["test_total_error"],
    },
    "backward_bias_not_summed": {
        "cell": "backward",
        "source": (
            "def backward(cache, t, params):\n"
            "    p = params\n"
            "    x, y_h, y_o = cache['x'], cache['y_h'], cache['y_o']\n"
            "    delta_o = -(t - y_o) * y_o * (1 - y_o)\n"
            "    dE_dy_h = np.array([delta_o[0] * p['w5'] + delta_o[1] * p['w7'],\n"
            "                        delta_o[0] * p['w6'] + delta_o[1] * p['w8']])\n"
            "    delta_h = dE_dy_h * y_h * (1 - y_h)\n"
            "    return {'w1': delta_h[0] * x[0], 'w2': delta_h[0] * x[1], 'w3': delta_h[1] * x[0],\n"
            "            'w4': delta_h[1] * x[1], 'w5': delta_o[0] * y_h[0], 'w6': delta_o[0] * y_h[1],\n"
            "            'w7': delta_o[1] * y_h[0], 'w8': delta_o[1] * y_h[1],\n"
            "            'b1': delta_h, 'b2': delta_o}  # one gradient per unit, not summed\n"
        ),
        "fails": ["test_backward_output_layer", "test_backward_hidden_layer"],
    },
    "backward_bias_averaged": {
        "cell": "backward",
        "source": (
            "def backward(cache, t, params):\n"
            "    p = params\n"
            "    x, y_h, y_o = cache['x'], cache['y_h'], cache['y_o']\n"
            "    delta_o = -(t - y_o) * y_o * (1 - y_o)\n"
            "    dE_dy_h = np.array([delta_o[0] * p['w5'] + delta_o[1] * p['w7'],\n"
            "                        delta_o[0] * p['w6'] + delta_o[1] * p['w8']])\n"
            "    delta_h = dE_dy_h * y_h * (1 - y_h)\n"
            "    return {'w1': delta_h[0] * x[0], 'w2': delta_h[0] * x[1], 'w3': delta_h[1] * x[0],\n"
            "            'w4': delta_h[1] * x[1], 'w5': delta_o[0] * y_h[0], 'w6': delta_o[0] * y_h[1],\n"
            "            'w7': delta_o[1] * y_h[0], 'w8': delta_o[1] * y_h[1],\n"
            "            'b1': delta_h.mean(), 'b2': delta_o.mean()}\n"
        ),
        "fails": ["test_backward_output_layer", "test_backward_hidden_layer"],
    },
    "backward_hidden_paths_multiplied": {
        "cell": "backward",
        "source": (
            "def backward(cache, t, params):\n"
            "    p = params\n"
            "    x, y_h, y_o = cache['x'], cache['y_h'], cache['y_o']\n"
            "    delta_o = -(t - y_o) * y_o * (1 - y_o)\n"
            "    # deck 001's first slide: dE/dy_h1 = dE_o1/dy_h1 * dE_o2/dy_h1\n"
            "    dE_dy_h = np.array([delta_o[0] * p['w5'] * delta_o[1] * p['w7'],\n"
            "                        delta_o[0] * p['w6'] * delta_o[1] * p['w8']])\n"
            "    delta_h = dE_dy_h * y_h * (1 - y_h)\n"
            "    return {'w1': delta_h[0] * x[0], 'w2': delta_h[0] * x[1], 'w3': delta_h[1] * x[0],\n"
            "            'w4': delta_h[1] * x[1], 'w5': delta_o[0] * y_h[0], 'w6': delta_o[0] * y_h[1],\n"
            "            'w7': delta_o[1] * y_h[0], 'w8': delta_o[1] * y_h[1],\n"
            "            'b1': delta_h.sum(), 'b2': delta_o.sum()}\n"
        ),
        "fails": ["test_backward_hidden_layer", "test_sgd_update"],
    },
    "sgd_modifies_params": {
        "cell": "sgd_update",
        "source": (
            "def sgd_update(params, grads, lr):\n"
            "    for i in range(1, 9):\n"
            "        params[f'w{i}'] -= lr * grads[f'w{i}']\n"
            "    return params\n"
        ),
        "fails": ["test_sgd_update"],
    },
    "dense_bias_gradient_not_summed": {
        "cell": "dense_layer",
        "source": (
            "def dense_forward(x, W, b):\n"
            "    return x @ W + b, (x, W, b)\n"
            "\n"
            "def dense_backward(dout, cache):\n"
            "    x, W, b = cache\n"
            "    return dout @ W.T, x.T @ dout, dout\n"
        ),
        "fails": ["test_dense_layer", "test_mlp_backward", "test_gradient_check", "test_train_mlp_xor"],
    },
    "sigmoid_backward_without_dout": {
        "cell": "sigmoid_layer",
        "source": (
            "def sigmoid_forward(x):\n"
            "    out = 1 / (1 + np.exp(-x))\n"
            "    return out, out\n"
            "\n"
            "def sigmoid_backward(dout, cache):\n"
            "    return cache * (1 - cache)\n"
        ),
        "fails": ["test_sigmoid_layer", "test_mlp_backward", "test_gradient_check", "test_train_mlp_xor"],
    },
    "relu_backward_at_zero_passes": {
        "cell": "relu_layer",
        "source": (
            "def relu_forward(x):\n"
            "    return np.maximum(x, 0), x\n"
            "\n"
            "def relu_backward(dout, cache):\n"
            "    return dout * (cache >= 0)\n"
        ),
        "fails": ["test_relu_layer"],
    },
    "mse_keras_style_mean": {
        "cell": "mse_loss",
        "source": (
            "def mse_loss(y_hat, t):\n"
            "    return float(np.mean((y_hat - t) ** 2)), 2 * (y_hat - t) / y_hat.size\n"
        ),
        "fails": ["test_mse_loss", "test_train_mlp_xor"],
    },
    "mlp_forward_always_sigmoid": {
        "cell": "mlp_forward",
        "source": (
            "def mlp_forward(X, params, activations):\n"
            "    caches, h = [], X\n"
            "    for (W, b), name in zip(params, activations):\n"
            "        z, dense_cache = dense_forward(h, W, b)\n"
            "        h, act_cache = sigmoid_forward(z)  # whatever the layer's activation\n"
            "        caches.append((dense_cache, name, act_cache))\n"
            "    return h, caches\n"
        ),
        "fails": ["test_mlp_forward", "test_mlp_backward", "test_gradient_check"],
    },
    "mlp_backward_reversed_order": {
        "cell": "mlp_backward",
        "source": (
            "def mlp_backward(dout, caches):\n"
            "    layers = {'sigmoid': sigmoid_backward, 'relu': relu_backward, 'linear': lambda d, cache: d}\n"
            "    grads = []\n"
            "    for dense_cache, name, act_cache in reversed(caches):\n"
            "        dz = layers[name](dout, act_cache)\n"
            "        dout, dW, db = dense_backward(dz, dense_cache)\n"
            "        grads.append((dW, db))\n"
            "    return grads\n"
        ),
        "fails": ["test_mlp_backward", "test_gradient_check", "test_train_mlp_xor"],
    },
    "mlp_backward_same_dout_every_layer": {
        "cell": "mlp_backward",
        "source": (
            "def mlp_backward(dout, caches):\n"
            "    layers = {'sigmoid': sigmoid_backward, 'relu': relu_backward, 'linear': lambda d, cache: d}\n"
            "    grads = []\n"
            "    for dense_cache, name, act_cache in reversed(caches):\n"
            "        dz = layers[name](dout, act_cache)\n"
            "        dx, dW, db = dense_backward(dz, dense_cache)  # dx never becomes the next dout\n"
            "        grads.append((dW, db))\n"
            "    return grads[::-1]\n"
        ),
        "fails": ["test_mlp_backward", "test_gradient_check", "test_train_mlp_xor"],
    },
    "numerical_gradient_not_restoring_x": {
        "cell": "numerical_gradient",
        "source": (
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    grad = np.zeros(x.shape)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        old = x[i]\n"
            "        x[i] = old + eps\n"
            "        f_plus = f(x)\n"
            "        x[i] = old - eps\n"
            "        grad[i] = (f_plus - f(x)) / (2 * eps)\n"
            "    return grad\n"
        ),
        "fails": ["test_numerical_gradient", "test_gradient_check"],
    },
    "numerical_gradient_own_step": {
        "cell": "numerical_gradient",
        "source": (
            "def numerical_gradient(f, x, eps=1e-6):\n"
            "    h = 1e-5\n"
            "    grad = np.zeros(x.shape)\n"
            "    for i in np.ndindex(x.shape):\n"
            "        old = x[i]\n"
            "        x[i] = old + h\n"
            "        f_plus = f(x)\n"
            "        x[i] = old - h\n"
            "        f_minus = f(x)\n"
            "        x[i] = old\n"
            "        grad[i] = (f_plus - f_minus) / (2 * h)\n"
            "    return grad\n"
        ),
        "fails": ["test_numerical_gradient"],
    },
    "relative_error_max_denominator": {
        "cell": "relative_error",
        "source": (
            "def relative_error(a, b):\n"
            "    return float(np.linalg.norm(a - b) / max(np.linalg.norm(a), np.linalg.norm(b), 1e-8))\n"
        ),
        "fails": ["test_relative_error"],
    },
    "tape_returns_tensors": {
        "cell": "tape_gradients",
        "source": (
            "def tape_gradients(model, X, t):\n"
            "    with tf.GradientTape() as tape:\n"
            "        y_hat = model(X)\n"
            "        loss = 0.5 * tf.reduce_sum((y_hat - t) ** 2) / X.shape[0]\n"
            "    grads = tape.gradient(loss, model.trainable_variables)\n"
            "    return [(grads[i], grads[i + 1]) for i in range(0, len(grads), 2)]\n"
        ),
        "fails": ["test_tape_gradients"],
    },
    "tape_loss_not_divided_by_n": {
        "cell": "tape_gradients",
        "source": (
            "def tape_gradients(model, X, t):\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = 0.5 * tf.reduce_sum((model(X) - t) ** 2)\n"
            "    grads = [g.numpy() for g in tape.gradient(loss, model.trainable_variables)]\n"
            "    return [(grads[i], grads[i + 1]) for i in range(0, len(grads), 2)]\n"
        ),
        "fails": ["test_tape_gradients"],
    },
    "train_mlp_updates_callers_params": {
        "cell": "train_mlp",
        "source": (
            "def train_mlp(X, t, params, activations, lr=5.0, epochs=2000):\n"
            "    losses = np.zeros(epochs)\n"
            "    for epoch in range(epochs):\n"
            "        out, caches = mlp_forward(X, params, activations)\n"
            "        losses[epoch], dout = mse_loss(out, t)\n"
            "        for (W, b), (dW, db) in zip(params, mlp_backward(dout, caches)):\n"
            "            W -= lr * dW\n"
            "            b -= lr * db\n"
            "    return params, losses\n"
        ),
        "fails": ["test_train_mlp_xor"],
    },
    "train_mlp_loss_after_update": {
        "cell": "train_mlp",
        "source": (
            "def train_mlp(X, t, params, activations, lr=5.0, epochs=2000):\n"
            "    params = [(W.copy(), b.copy()) for W, b in params]\n"
            "    losses = np.zeros(epochs)\n"
            "    for epoch in range(epochs):\n"
            "        out, caches = mlp_forward(X, params, activations)\n"
            "        grads = mlp_backward(mse_loss(out, t)[1], caches)\n"
            "        params = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(params, grads)]\n"
            "        losses[epoch] = mse_loss(mlp_forward(X, params, activations)[0], t)[0]\n"
            "    return params, losses\n"
        ),
        "fails": ["test_train_mlp_xor"],
    },
}
