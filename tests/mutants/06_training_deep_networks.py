"""Plausible wrong answers for lab 06, each with the test cells it must fail (see autograder/samples.py)."""

BATCHNORM_FORWARD = (
    "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n"
    "    mu = x.mean(axis=0)\n"
    "    xc = x - mu\n"
    "    var = (xc ** 2).mean(axis=0)\n"
    "    std = np.sqrt(var + eps)\n"
    "    x_hat = xc / std\n"
    "    return gamma * x_hat + beta, (xc, std, x_hat, gamma)\n"
)


def batchnorm_backward(body):
    """A batchnorm_backward that unpacks the master's cache, then runs BODY (which returns)."""
    return ("def batchnorm_backward(dout, cache):\n"
            "    xc, std, x_hat, gamma = cache\n"
            "    n = dout.shape[0]\n" + body)


def two_layer_trainer(gradients):
    """A train_two_layer whose step uses GRADIENTS (source lines setting `grads` from h, probs, onehot, n)."""
    return (
        "def train_two_layer(X, y, params, lr, steps, lam=0.0):\n"
        "    params = {k: np.array(v, dtype=float) for k, v in params.items()}\n"
        "    onehot = np.eye(params['b2'].shape[0])[y]\n"
        "    n = X.shape[0]\n"
        "    losses = []\n"
        "    for _ in range(steps):\n"
        "        losses.append(two_layer_loss(params, X, y, lam))\n"
        "        h, probs = two_layer_forward(params, X)\n" + gradients +
        "        params = {k: params[k] - lr * grads[k] for k in params}\n"
        "    return params, np.array(losses)\n"
    )


CORRECT_GRADIENTS = (
    "        dlogits = (probs - onehot) / n\n"
    "        dz1 = dlogits @ params['W2'].T * h * (1 - h)\n"
)

MUTANTS = {
    # Part 1: batch normalisation
    "batchnorm_unbiased_variance": {
        "cell": "batchnorm_forward",
        "source": BATCHNORM_FORWARD.replace("var = (xc ** 2).mean(axis=0)", "var = x.var(axis=0, ddof=1)"),
        "fails": ["test_batchnorm_forward", "test_batchnorm_backward_dx"],
    },
    "batchnorm_normalises_rows": {
        "cell": "batchnorm_forward",
        "source": (
            "def batchnorm_forward(x, gamma, beta, eps=1e-5):\n"
            "    mu = x.mean(axis=1, keepdims=True)\n"
            "    xc = x - mu\n"
            "    var = (xc ** 2).mean(axis=1, keepdims=True)\n"
            "    std = np.sqrt(var + eps)\n"
            "    x_hat = xc / std\n"
            "    return gamma * x_hat + beta, (xc, std, x_hat, gamma)\n"
        ),
        "fails": ["test_batchnorm_forward", "test_batchnorm_backward_dx"],
    },
    "batchnorm_dgamma_summed_over_units": {
        "cell": "batchnorm_backward",
        "source": batchnorm_backward(
            "    dx_hat = dout * gamma\n"
            "    dvar = -0.5 * (dx_hat * xc).sum(axis=0) / std ** 3\n"
            "    dxc = dx_hat / std + 2 * xc * dvar / n\n"
            "    dx = dxc - dxc.mean(axis=0)\n"
            "    return dx, (dout * x_hat).sum(axis=1), dout.sum(axis=1)\n"
        ),
        "fails": ["test_batchnorm_backward_dgamma_dbeta"],
    },
    "batchnorm_dbeta_averaged": {
        "cell": "batchnorm_backward",
        "source": batchnorm_backward(
            "    dx_hat = dout * gamma\n"
            "    dvar = -0.5 * (dx_hat * xc).sum(axis=0) / std ** 3\n"
            "    dxc = dx_hat / std + 2 * xc * dvar / n\n"
            "    dx = dxc - dxc.mean(axis=0)\n"
            "    return dx, (dout * x_hat).mean(axis=0), dout.mean(axis=0)\n"
        ),
        "fails": ["test_batchnorm_backward_dgamma_dbeta"],
    },
    "batchnorm_statistics_as_constants": {
        "cell": "batchnorm_backward",
        "source": batchnorm_backward(
            "    return dout * gamma / std, (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n"
        ),
        "fails": ["test_batchnorm_backward_dx"],
    },
    "batchnorm_mean_path_only": {  # the path through the variance forgotten
        "cell": "batchnorm_backward",
        "source": batchnorm_backward(
            "    dxc = dout * gamma / std\n"
            "    return dxc - dxc.mean(axis=0), (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n"
        ),
        "fails": ["test_batchnorm_backward_dx"],
    },
    "batchnorm_dx_without_gamma": {
        "cell": "batchnorm_backward",
        "source": batchnorm_backward(
            "    dx_hat = dout\n"
            "    dvar = -0.5 * (dx_hat * xc).sum(axis=0) / std ** 3\n"
            "    dxc = dx_hat / std + 2 * xc * dvar / n\n"
            "    return dxc - dxc.mean(axis=0), (dout * x_hat).sum(axis=0), dout.sum(axis=0)\n"
        ),
        "fails": ["test_batchnorm_backward_dx"],
    },
    # Part 1: dropout
    "dropout_without_scaling": {  # the lecture's training-time form
        "cell": "dropout_forward",
        "source": (
            "def dropout_forward(x, p, training, seed):\n"
            "    if not training:\n"
            "        return x, (None, p)\n"
            "    keep = np.random.default_rng(seed).random(x.shape) >= p\n"
            "    return x * keep, (keep, p)\n"
        ),
        "fails": ["test_dropout_forward", "test_dropout_backward"],
    },
    "dropout_keeps_with_probability_p": {
        "cell": "dropout_forward",
        "source": (
            "def dropout_forward(x, p, training, seed):\n"
            "    if not training:\n"
            "        return x, (None, p)\n"
            "    keep = np.random.default_rng(seed).random(x.shape) < p\n"
            "    return x * keep / (1 - p), (keep, p)\n"
        ),
        "fails": ["test_dropout_forward"],
    },
    "dropout_unseeded_mask": {
        "cell": "dropout_forward",
        "source": (
            "def dropout_forward(x, p, training, seed):\n"
            "    if not training:\n"
            "        return x, (None, p)\n"
            "    keep = np.random.random(x.shape) >= p\n"
            "    return x * keep / (1 - p), (keep, p)\n"
        ),
        "fails": ["test_dropout_forward", "test_dropout_backward"],
    },
    "dropout_backward_without_scaling": {
        "cell": "dropout_backward",
        "source": (
            "def dropout_backward(dout, cache):\n"
            "    keep, p = cache\n"
            "    if keep is None:\n"
            "        return dout\n"
            "    return dout * keep\n"
        ),
        "fails": ["test_dropout_backward"],
    },
    "dropout_backward_scales_at_inference": {
        "cell": "dropout_backward",
        "source": (
            "def dropout_backward(dout, cache):\n"
            "    keep, p = cache\n"
            "    if keep is None:\n"
            "        return dout / (1 - p)\n"
            "    return dout * keep / (1 - p)\n"
        ),
        "fails": ["test_dropout_backward"],
    },
    # Part 2: initialisation
    "xavier_returns_variance": {
        "cell": "init_std",
        "source": (
            "def xavier_std(fan_in, fan_out):\n"
            "    return 2 / (fan_in + fan_out)\n"
            "\n"
            "def he_std(fan_in):\n"
            "    return np.sqrt(2 / fan_in)\n"
        ),
        "fails": ["test_xavier_std"],
    },
    "xavier_from_fan_in_only": {
        "cell": "init_std",
        "source": (
            "def xavier_std(fan_in, fan_out):\n"
            "    return np.sqrt(1 / fan_in)\n"
            "\n"
            "def he_std(fan_in):\n"
            "    return np.sqrt(2 / fan_in)\n"
        ),
        "fails": ["test_xavier_std"],
    },
    "he_without_factor_two": {
        "cell": "init_std",
        "source": (
            "def xavier_std(fan_in, fan_out):\n"
            "    return np.sqrt(2 / (fan_in + fan_out))\n"
            "\n"
            "def he_std(fan_in):\n"
            "    return np.sqrt(1 / fan_in)\n"
        ),
        "fails": ["test_he_std"],
    },
    "statistics_before_activation": {
        "cell": "activation_statistics",
        "source": (
            "def activation_statistics(x, n_layers, width, init, activation, seed=0):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    h, means, stds = x, [], []\n"
            "    for _ in range(n_layers):\n"
            "        fan_in = h.shape[1]\n"
            "        std = {'small': 0.01, 'xavier': xavier_std(fan_in, width), 'he': he_std(fan_in)}[init]\n"
            "        z = h @ rng.normal(0.0, std, size=(fan_in, width))\n"
            "        means.append(z.mean())\n"
            "        stds.append(z.std())\n"
            "        h = np.tanh(z) if activation == 'tanh' else np.maximum(z, 0)\n"
            "    return np.array(means), np.array(stds)\n"
        ),
        "fails": ["test_activation_statistics"],
    },
    "every_layer_fed_the_input": {
        "cell": "activation_statistics",
        "source": (
            "def activation_statistics(x, n_layers, width, init, activation, seed=0):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    means, stds = [], []\n"
            "    fan_in = x.shape[1]\n"
            "    for _ in range(n_layers):\n"
            "        std = {'small': 0.01, 'xavier': xavier_std(fan_in, width), 'he': he_std(fan_in)}[init]\n"
            "        z = x @ rng.normal(0.0, std, size=(fan_in, width))\n"
            "        h = np.tanh(z) if activation == 'tanh' else np.maximum(z, 0)\n"
            "        means.append(h.mean())\n"
            "        stds.append(h.std())\n"
            "    return np.array(means), np.array(stds)\n"
        ),
        "fails": ["test_activation_statistics"],
    },
    "width_as_every_fan_in": {
        "cell": "activation_statistics",
        "source": (
            "def activation_statistics(x, n_layers, width, init, activation, seed=0):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    h, means, stds = x, [], []\n"
            "    for _ in range(n_layers):\n"
            "        std = {'small': 0.01, 'xavier': xavier_std(width, width), 'he': he_std(width)}[init]\n"
            "        z = h @ rng.normal(0.0, std, size=(h.shape[1], width))\n"
            "        h = np.tanh(z) if activation == 'tanh' else np.maximum(z, 0)\n"
            "        means.append(h.mean())\n"
            "        stds.append(h.std())\n"
            "    return np.array(means), np.array(stds)\n"
        ),
        "fails": ["test_activation_statistics"],
    },
    # Part 3: L2
    "l2_penalty_without_half": {
        "cell": "l2_regularization",
        "source": (
            "def l2_regularization(weights, lam):\n"
            "    return lam * sum(np.sum(W ** 2) for W in weights), [lam * W for W in weights]\n"
        ),
        "fails": ["test_l2_penalty"],
    },
    "l2_gradient_twice_lam": {  # differentiated lam * W^2 while the penalty has the 1/2
        "cell": "l2_regularization",
        "source": (
            "def l2_regularization(weights, lam):\n"
            "    return 0.5 * lam * sum(np.sum(W ** 2) for W in weights), [2 * lam * W for W in weights]\n"
        ),
        "fails": ["test_l2_gradient", "test_train_two_layer_l2"],
    },
    # Part 4: the two-layer network
    "he_init_with_fan_out": {
        "cell": "init_two_layer",
        "source": (
            "def init_two_layer(n_in, n_hidden, n_out, init, seed=0):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    if init == 'zeros':\n"
            "        W1, W2 = np.zeros((n_in, n_hidden)), np.zeros((n_hidden, n_out))\n"
            "    else:\n"
            "        s1 = {'small': 0.01, 'xavier': xavier_std(n_in, n_hidden), 'he': he_std(n_hidden)}[init]\n"
            "        s2 = {'small': 0.01, 'xavier': xavier_std(n_hidden, n_out), 'he': he_std(n_out)}[init]\n"
            "        W1 = rng.normal(0, s1, size=(n_in, n_hidden))\n"
            "        W2 = rng.normal(0, s2, size=(n_hidden, n_out))\n"
            "    return {'W1': W1, 'b1': np.zeros(n_hidden), 'W2': W2, 'b2': np.zeros(n_out)}\n"
        ),
        "fails": ["test_init_two_layer"],
    },
    "zeros_init_made_random": {  # "zeros" quietly replaced by small random weights
        "cell": "init_two_layer",
        "source": (
            "def init_two_layer(n_in, n_hidden, n_out, init, seed=0):\n"
            "    rng = np.random.default_rng(seed)\n"
            "    s1 = {'small': 0.01, 'zeros': 0.01, 'xavier': xavier_std(n_in, n_hidden), 'he': he_std(n_in)}[init]\n"
            "    s2 = {'small': 0.01, 'zeros': 0.01, 'xavier': xavier_std(n_hidden, n_out), 'he': he_std(n_hidden)}[init]\n"
            "    W1 = rng.normal(0, s1, size=(n_in, n_hidden))\n"
            "    W2 = rng.normal(0, s2, size=(n_hidden, n_out))\n"
            "    return {'W1': W1, 'b1': np.zeros(n_hidden), 'W2': W2, 'b2': np.zeros(n_out)}\n"
        ),
        "fails": ["test_zero_init_symmetry"],
    },
    "gradient_not_averaged": {
        "cell": "train_two_layer",
        "source": two_layer_trainer(
            "        dlogits = probs - onehot\n"
            "        dz1 = dlogits @ params['W2'].T * h * (1 - h)\n"
            "        grads = {'W2': h.T @ dlogits + lam * params['W2'], 'b2': dlogits.sum(0),\n"
            "                 'W1': X.T @ dz1 + lam * params['W1'], 'b1': dz1.sum(0)}\n"
        ),
        "fails": ["test_train_two_layer_gradient", "test_train_two_layer_l2"],
    },
    "sigmoid_derivative_missing": {
        "cell": "train_two_layer",
        "source": two_layer_trainer(
            "        dlogits = (probs - onehot) / n\n"
            "        dz1 = dlogits @ params['W2'].T\n"
            "        grads = {'W2': h.T @ dlogits + lam * params['W2'], 'b2': dlogits.sum(0),\n"
            "                 'W1': X.T @ dz1 + lam * params['W1'], 'b1': dz1.sum(0)}\n"
        ),
        "fails": ["test_train_two_layer_gradient", "test_train_two_layer_l2"],
    },
    "l2_ignored_in_training": {
        "cell": "train_two_layer",
        "source": two_layer_trainer(
            CORRECT_GRADIENTS +
            "        grads = {'W2': h.T @ dlogits, 'b2': dlogits.sum(0), 'W1': X.T @ dz1, 'b1': dz1.sum(0)}\n"
        ),
        "fails": ["test_train_two_layer_l2"],
    },
    "l2_decays_biases_too": {
        "cell": "train_two_layer",
        "source": two_layer_trainer(
            CORRECT_GRADIENTS +
            "        grads = {'W2': h.T @ dlogits + lam * params['W2'], 'b2': dlogits.sum(0) + lam * params['b2'],\n"
            "                 'W1': X.T @ dz1 + lam * params['W1'], 'b1': dz1.sum(0) + lam * params['b1']}\n"
        ),
        "fails": ["test_train_two_layer_l2"],
    },
    # Part 5: early stopping
    "patience_off_by_one": {
        "cell": "early_stopping_epoch",
        "source": (
            "def early_stopping_epoch(val_losses, patience):\n"
            "    best_epoch, best, wait = 0, float('inf'), 0\n"
            "    for epoch, loss in enumerate(val_losses):\n"
            "        if loss < best:\n"
            "            best_epoch, best, wait = epoch, loss, 0\n"
            "        else:\n"
            "            wait += 1\n"
            "            if wait > patience:\n"
            "                return best_epoch, epoch\n"
            "    return best_epoch, len(val_losses) - 1\n"
        ),
        "fails": ["test_early_stopping_epoch"],
    },
    "ties_count_as_improvement": {
        "cell": "early_stopping_epoch",
        "source": (
            "def early_stopping_epoch(val_losses, patience):\n"
            "    best_epoch, best, wait = 0, float('inf'), 0\n"
            "    for epoch, loss in enumerate(val_losses):\n"
            "        if loss <= best:\n"
            "            best_epoch, best, wait = epoch, loss, 0\n"
            "        else:\n"
            "            wait += 1\n"
            "            if wait >= patience:\n"
            "                return best_epoch, epoch\n"
            "    return best_epoch, len(val_losses) - 1\n"
        ),
        "fails": ["test_early_stopping_epoch"],
    },
    "best_over_the_whole_curve": {
        "cell": "early_stopping_epoch",
        "source": (
            "def early_stopping_epoch(val_losses, patience):\n"
            "    best_epoch = int(np.argmin(val_losses))\n"
            "    return best_epoch, min(best_epoch + patience, len(val_losses) - 1)\n"
        ),
        "fails": ["test_early_stopping_epoch"],
    },
    "early_stopping_without_restoring": {
        "cell": "fit_with_early_stopping",
        "source": (
            "def fit_with_early_stopping(model, x, y, x_val, y_val, patience, max_epochs, batch_size=64):\n"
            "    stop = keras.callbacks.EarlyStopping(monitor='val_loss', patience=patience)\n"
            "    history = model.fit(x, y, validation_data=(x_val, y_val), epochs=max_epochs, batch_size=batch_size,\n"
            "                        callbacks=[stop], verbose=0)\n"
            "    return model, history\n"
        ),
        "fails": ["test_fit_with_early_stopping"],
    },
    "early_stopping_on_training_loss": {
        "cell": "fit_with_early_stopping",
        "source": (
            "def fit_with_early_stopping(model, x, y, x_val, y_val, patience, max_epochs, batch_size=64):\n"
            "    stop = keras.callbacks.EarlyStopping(monitor='loss', patience=patience, restore_best_weights=True)\n"
            "    history = model.fit(x, y, validation_data=(x_val, y_val), epochs=max_epochs, batch_size=batch_size,\n"
            "                        callbacks=[stop], verbose=0)\n"
            "    return model, history\n"
        ),
        "fails": ["test_fit_with_early_stopping"],
    },
}
