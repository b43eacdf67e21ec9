"""Plausible wrong answers for lab 03, each with the test cells it must fail (see autograder/samples.py).

Each typical mistake fails a VISIBLE check whose message names it.
"""

MUTANTS = {
    "loss_half_convention": {
        "cell": "loss",
        "source": "def loss(w, x, y):\n    return 0.5 * (y - w * x) ** 2\n",
        "fails": ["test_loss"],
    },
    "loss_residual_not_squared": {
        "cell": "loss",
        "source": "def loss(w, x, y):\n    return y - w * x\n",
        "fails": ["test_loss"],
    },
    "grad_sign_flipped": {
        "cell": "loss_grad",
        "source": "def loss_grad(w, x, y):\n    return 2 * x * (y - w * x)\n",
        "fails": ["test_loss_grad"],
    },
    "grad_factor_two_missing": {
        "cell": "loss_grad",
        "source": "def loss_grad(w, x, y):\n    return -x * (y - w * x)\n",
        "fails": ["test_loss_grad"],
    },
    "grad_inner_derivative_missing": {
        "cell": "loss_grad",
        "source": "def loss_grad(w, x, y):\n    return -2 * (y - w * x)\n",
        "fails": ["test_loss_grad"],
    },
    "step_uphill": {
        "cell": "gd_step",
        "source": "def gd_step(w, grad, lr):\n    return w + lr * grad\n",
        "fails": ["test_gd_step", "test_gradient_descent", "test_fit_gd", "test_descend_from"],
    },
    "step_in_place": {
        "cell": "gd_step",
        "source": "def gd_step(w, grad, lr):\n    w -= lr * grad\n    return w\n",
        "fails": ["test_gd_step", "test_gradient_descent", "test_fit_gd", "test_descend_from"],
    },
    "iterates_without_w0": {
        "cell": "gradient_descent",
        "source": (
            "def gradient_descent(grad_fn, w0, lr, num_steps):\n"
            "    w = np.array(w0, dtype=float)\n"
            "    iterates = []\n"
            "    for _ in range(num_steps):\n"
            "        w = gd_step(w, grad_fn(w), lr)\n"
            "        iterates.append(w)\n"
            "    return np.array(iterates)\n"
        ),
        "fails": ["test_gradient_descent", "test_fit_gd", "test_descend_from"],
    },
    "iterates_one_step_too_many": {
        "cell": "gradient_descent",
        "source": (
            "def gradient_descent(grad_fn, w0, lr, num_steps):\n"
            "    w = np.array(w0, dtype=float)\n"
            "    iterates = [w]\n"
            "    for _ in range(num_steps + 1):\n"
            "        w = gd_step(w, grad_fn(w), lr)\n"
            "        iterates.append(w)\n"
            "    return np.array(iterates)\n"
        ),
        "fails": ["test_gradient_descent", "test_fit_gd", "test_descend_from"],
    },
    "iterates_aliased_in_place": {
        "cell": "gradient_descent",
        "source": (
            "def gradient_descent(grad_fn, w0, lr, num_steps):\n"
            "    w = np.array(w0, dtype=float)\n"
            "    iterates = [w]\n"
            "    for _ in range(num_steps):\n"
            "        w -= lr * grad_fn(w)\n"
            "        iterates.append(w)\n"
            "    return np.array(iterates)\n"
        ),
        "fails": ["test_gradient_descent", "test_fit_gd", "test_descend_from"],
    },
    "gradient_at_start_only": {
        "cell": "gradient_descent",
        "source": (
            "def gradient_descent(grad_fn, w0, lr, num_steps):\n"
            "    w = np.array(w0, dtype=float)\n"
            "    g = grad_fn(w)\n"
            "    iterates = [w]\n"
            "    for _ in range(num_steps):\n"
            "        w = gd_step(w, g, lr)\n"
            "        iterates.append(w)\n"
            "    return np.array(iterates)\n"
        ),
        "fails": ["test_gradient_descent", "test_fit_gd", "test_descend_from"],
    },
    "mse_sum_not_mean": {
        "cell": "mse",
        "source": "def mse(w, X, y):\n    return float(np.sum((y - X @ w) ** 2))\n",
        "fails": ["test_mse"],
    },
    "mse_grad_sign_flipped": {
        "cell": "mse_grad",
        "source": "def mse_grad(w, X, y):\n    return 2.0 / len(y) * X.T @ (y - X @ w)\n",
        "fails": ["test_mse_grad", "test_fit_gd"],
    },
    "mse_grad_factor_two_missing": {
        "cell": "mse_grad",
        "source": "def mse_grad(w, X, y):\n    return -X.T @ (y - X @ w) / len(y)\n",
        "fails": ["test_mse_grad", "test_fit_gd"],
    },
    "mse_grad_of_the_sum": {
        "cell": "mse_grad",
        "source": "def mse_grad(w, X, y):\n    return -2.0 * X.T @ (y - X @ w)\n",
        "fails": ["test_mse_grad", "test_fit_gd"],
    },
    "closed_form_explicit_inverse": {
        "cell": "fit_closed_form",
        "source": "def fit_closed_form(X, y):\n    return np.linalg.inv(X.T @ X) @ X.T @ y\n",
        "fails": ["test_fit_closed_form"],
    },
    "closed_form_pseudo_inverse_of_A": {
        "cell": "fit_closed_form",
        "source": "def fit_closed_form(X, y):\n    return np.linalg.pinv(X.T @ X) @ (X.T @ y)\n",
        "fails": ["test_fit_closed_form"],
    },
    "fit_gd_final_weights_only": {
        "cell": "fit_gd",
        "source": (
            "def fit_gd(X, y, lr, num_steps):\n"
            "    w = np.zeros(X.shape[1])\n"
            "    for _ in range(num_steps):\n"
            "        w = w - lr * mse_grad(w, X, y)\n"
            "    return w\n"
        ),
        "fails": ["test_fit_gd"],
    },
    "fit_gd_starts_at_ones": {
        "cell": "fit_gd",
        "source": (
            "def fit_gd(X, y, lr, num_steps):\n"
            "    return gradient_descent(lambda w: mse_grad(w, X, y), np.ones(X.shape[1]), lr, num_steps)\n"
        ),
        "fails": ["test_fit_gd"],
    },
    "diverged_only_when_nan": {
        "cell": "classify_run",
        "source": (
            "def classify_run(losses):\n"
            "    losses = np.asarray(losses, dtype=float)\n"
            "    if np.isnan(losses).any():\n"
            "        return 'diverged'\n"
            "    if losses[len(losses) // 2] - losses[-1] <= 0.01 * (losses[0] - losses[-1]):\n"
            "        return 'converged'\n"
            "    return 'too slow'\n"
        ),
        "fails": ["test_classify_run"],
    },
    "classify_strict_inequality": {
        "cell": "classify_run",
        "source": (
            "def classify_run(losses):\n"
            "    losses = np.asarray(losses, dtype=float)\n"
            "    if not np.all(np.isfinite(losses)) or losses[-1] > losses[0]:\n"
            "        return 'diverged'\n"
            "    if losses[len(losses) // 2] - losses[-1] < 0.01 * (losses[0] - losses[-1]):\n"
            "        return 'converged'\n"
            "    return 'too slow'\n"
        ),
        "fails": ["test_classify_run"],
    },
    "stable_lr_one_over_lambda": {
        "cell": "max_stable_lr",
        "source": (
            "def max_stable_lr(X):\n"
            "    H = 2 / X.shape[0] * X.T @ X\n"
            "    return 1 / np.linalg.eigvalsh(H).max()\n"
        ),
        "fails": ["test_max_stable_lr"],
    },
    "stable_lr_unnormalised_hessian": {
        "cell": "max_stable_lr",
        "source": "def max_stable_lr(X):\n    return 2 / np.linalg.eigvalsh(X.T @ X).max()\n",
        "fails": ["test_max_stable_lr"],
    },
    "stable_lr_smallest_eigenvalue": {
        "cell": "max_stable_lr",
        "source": (
            "def max_stable_lr(X):\n"
            "    H = 2 / X.shape[0] * X.T @ X\n"
            "    return 2 / np.linalg.eigvalsh(H)[0]\n"
        ),
        "fails": ["test_max_stable_lr"],
    },
    "stable_lr_n_from_columns": {
        "cell": "max_stable_lr",
        "source": (
            "def max_stable_lr(X):\n"
            "    H = 2 / X.shape[1] * X.T @ X\n"
            "    return 2 / np.linalg.eigvalsh(H).max()\n"
        ),
        "fails": ["test_max_stable_lr"],
    },
    "descend_end_points_only": {
        "cell": "descend_from",
        "source": (
            "def descend_from(starts, lr, num_steps):\n"
            "    return gradient_descent(bumpy_grad, np.asarray(starts, dtype=float), lr, num_steps)[-1]\n"
        ),
        "fails": ["test_descend_from"],
    },
    "descend_along_the_loss": {
        "cell": "descend_from",
        "source": (
            "def descend_from(starts, lr, num_steps):\n"
            "    return gradient_descent(bumpy_loss, np.asarray(starts, dtype=float), lr, num_steps)\n"
        ),
        "fails": ["test_descend_from"],
    },
    "keras_sum_loss": {
        "cell": "keras_sgd_trajectory",
        "source": (
            "def keras_sgd_trajectory(X, y, lr, num_steps):\n"
            "    model = make_linear_model(X.shape[1])\n"
            "    optimizer = keras.optimizers.SGD(learning_rate=lr)\n"
            "    X32, y32 = tf.constant(X, dtype=tf.float32), tf.constant(y, dtype=tf.float32)\n"
            "    trajectory = [model.layers[0].kernel.numpy()[:, 0]]\n"
            "    for _ in range(num_steps):\n"
            "        with tf.GradientTape() as tape:\n"
            "            loss_value = tf.reduce_sum((y32 - model(X32)[:, 0]) ** 2)\n"
            "        grads = tape.gradient(loss_value, model.trainable_variables)\n"
            "        optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
            "        trajectory.append(model.layers[0].kernel.numpy()[:, 0])\n"
            "    return np.array(trajectory)\n"
        ),
        "fails": ["test_keras_sgd_trajectory"],
    },
    "keras_loss_broadcasts_to_n_by_n": {
        "cell": "keras_sgd_trajectory",
        "source": (
            "def keras_sgd_trajectory(X, y, lr, num_steps):\n"
            "    model = make_linear_model(X.shape[1])\n"
            "    optimizer = keras.optimizers.SGD(learning_rate=lr)\n"
            "    X32, y32 = tf.constant(X, dtype=tf.float32), tf.constant(y, dtype=tf.float32)\n"
            "    trajectory = [model.layers[0].kernel.numpy()[:, 0]]\n"
            "    for _ in range(num_steps):\n"
            "        with tf.GradientTape() as tape:\n"
            "            loss_value = tf.reduce_mean((y32 - model(X32)) ** 2)\n"
            "        grads = tape.gradient(loss_value, model.trainable_variables)\n"
            "        optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
            "        trajectory.append(model.layers[0].kernel.numpy()[:, 0])\n"
            "    return np.array(trajectory)\n"
        ),
        "fails": ["test_keras_sgd_trajectory"],
    },
    "keras_records_the_variable": {
        "cell": "keras_sgd_trajectory",
        "source": (
            "def keras_sgd_trajectory(X, y, lr, num_steps):\n"
            "    model = make_linear_model(X.shape[1])\n"
            "    optimizer = keras.optimizers.SGD(learning_rate=lr)\n"
            "    X32, y32 = tf.constant(X, dtype=tf.float32), tf.constant(y, dtype=tf.float32)\n"
            "    kernel = model.layers[0].kernel\n"
            "    trajectory = [kernel]\n"
            "    for _ in range(num_steps):\n"
            "        with tf.GradientTape() as tape:\n"
            "            loss_value = tf.reduce_mean((y32 - model(X32)[:, 0]) ** 2)\n"
            "        grads = tape.gradient(loss_value, model.trainable_variables)\n"
            "        optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
            "        trajectory.append(kernel)\n"
            "    return np.array([keras.ops.convert_to_numpy(k)[:, 0] for k in trajectory])\n"
        ),
        "fails": ["test_keras_sgd_trajectory"],
    },
    "keras_without_start_row": {
        "cell": "keras_sgd_trajectory",
        "source": (
            "def keras_sgd_trajectory(X, y, lr, num_steps):\n"
            "    model = make_linear_model(X.shape[1])\n"
            "    optimizer = keras.optimizers.SGD(learning_rate=lr)\n"
            "    X32, y32 = tf.constant(X, dtype=tf.float32), tf.constant(y, dtype=tf.float32)\n"
            "    trajectory = []\n"
            "    for _ in range(num_steps):\n"
            "        with tf.GradientTape() as tape:\n"
            "            loss_value = tf.reduce_mean((y32 - model(X32)[:, 0]) ** 2)\n"
            "        grads = tape.gradient(loss_value, model.trainable_variables)\n"
            "        optimizer.apply_gradients(zip(grads, model.trainable_variables))\n"
            "        trajectory.append(model.layers[0].kernel.numpy()[:, 0])\n"
            "    return np.array(trajectory)\n"
        ),
        "fails": ["test_keras_sgd_trajectory"],
    },
}
