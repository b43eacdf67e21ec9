"""Plausible wrong answers for lab 05, each with the test cells it must fail (see autograder/samples.py)."""

MUTANTS = {
    "dropout_without_rescaling": {
        "cell": "dropout_forward",
        "source": (
            "def dropout_forward(x, rate, training, rng):\n"
            "    if not training:\n"
            "        return x\n"
            "    mask = rng.random(x.shape) > rate\n"
            "    return x * mask\n"
        ),
        "fails": ["test_dropout_forward_training"],
    },
    "dropout_keeps_with_probability_rate": {  # "rate" read as the keep probability
        "cell": "dropout_forward",
        "source": (
            "def dropout_forward(x, rate, training, rng):\n"
            "    if not training:\n"
            "        return x\n"
            "    mask = rng.random(x.shape) < rate\n"
            "    return (x * mask / (1 - rate)).astype(x.dtype)\n"
        ),
        "fails": ["test_dropout_forward_training"],
    },
    "dropout_mask_from_np_random": {  # ignores the rng argument: not reproducible
        "cell": "dropout_forward",
        "source": (
            "def dropout_forward(x, rate, training, rng):\n"
            "    if not training:\n"
            "        return x\n"
            "    mask = np.random.random(x.shape) >= rate\n"
            "    return (x * mask / (1 - rate)).astype(x.dtype)\n"
        ),
        "fails": ["test_dropout_forward_training"],
    },
    "dropout_active_at_inference": {
        "cell": "dropout_forward",
        "source": (
            "def dropout_forward(x, rate, training, rng):\n"
            "    if rng is None:\n"
            "        rng = np.random.default_rng()\n"
            "    mask = rng.random(x.shape) > rate\n"
            "    return (x * mask / (1 - rate)).astype(x.dtype)\n"
        ),
        "fails": ["test_dropout_forward_inference"],
    },
    "lecture_scales_by_rate": {  # deck 003's words, "multiplied by p", taken literally
        "cell": "dropout_lecture",
        "source": (
            "def dropout_lecture(x, rate, training, rng):\n"
            "    if training:\n"
            "        return x * (rng.random(x.shape) > rate)\n"
            "    return x * rate\n"
        ),
        "fails": ["test_dropout_lecture"],
    },
    "batchnorm_statistics_over_features": {
        "cell": "batchnorm_forward",
        "source": (
            "def batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, eps=1e-3):\n"
            "    if training:\n"
            "        mean = x.mean(axis=1, keepdims=True)\n"
            "        var = x.var(axis=1, keepdims=True)\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * mean\n"
            "        new_var = momentum * moving_var + (1 - momentum) * var\n"
            "    else:\n"
            "        mean, var, new_mean, new_var = moving_mean, moving_var, moving_mean, moving_var\n"
            "    return gamma * (x - mean) / np.sqrt(var + eps) + beta, new_mean, new_var\n"
        ),
        "fails": ["test_batchnorm_training_output", "test_batchnorm_moving_stats"],
    },
    "batchnorm_eps_outside_sqrt": {  # divides by std + eps
        "cell": "batchnorm_forward",
        "source": (
            "def batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, eps=1e-3):\n"
            "    if training:\n"
            "        mean, var = x.mean(axis=0), x.var(axis=0)\n"
            "        new_mean = momentum * moving_mean + (1 - momentum) * mean\n"
            "        new_var = momentum * moving_var + (1 - momentum) * var\n"
            "    else:\n"
            "        mean, var, new_mean, new_var = moving_mean, moving_var, moving_mean, moving_var\n"
            "    return gamma * (x - mean) / (np.sqrt(var) + eps) + beta, new_mean, new_var\n"
        ),
        "fails": ["test_batchnorm_training_output", "test_batchnorm_inference"],
    },
    "batchnorm_momentum_inverted": {
        "cell": "batchnorm_forward",
        "source": (
            "def batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, eps=1e-3):\n"
            "    if training:\n"
            "        mean, var = x.mean(axis=0), x.var(axis=0)\n"
            "        new_mean = (1 - momentum) * moving_mean + momentum * mean\n"
            "        new_var = (1 - momentum) * moving_var + momentum * var\n"
            "    else:\n"
            "        mean, var, new_mean, new_var = moving_mean, moving_var, moving_mean, moving_var\n"
            "    return gamma * (x - mean) / np.sqrt(var + eps) + beta, new_mean, new_var\n"
        ),
        "fails": ["test_batchnorm_moving_stats"],
    },
    "batchnorm_batch_statistics_at_inference": {
        "cell": "batchnorm_forward",
        "source": (
            "def batchnorm_forward(x, gamma, beta, moving_mean, moving_var, training, momentum=0.99, eps=1e-3):\n"
            "    mean, var = x.mean(axis=0), x.var(axis=0)\n"
            "    out = gamma * (x - mean) / np.sqrt(var + eps) + beta\n"
            "    if training:\n"
            "        moving_mean = momentum * moving_mean + (1 - momentum) * mean\n"
            "        moving_var = momentum * moving_var + (1 - momentum) * var\n"
            "    return out, moving_mean, moving_var\n"
        ),
        "fails": ["test_batchnorm_inference"],
    },
    "dropout_before_batchnorm": {
        "cell": "build_mlp",
        "source": (
            "def build_mlp(dropout_rate=0.0, batchnorm=False, hidden_units=(256, 256), activation='relu',\n"
            "              learning_rate=1e-3):\n"
            "    model = keras.Sequential([keras.Input(shape=(784,))])\n"
            "    for units in hidden_units:\n"
            "        model.add(keras.layers.Dense(units))\n"
            "        if dropout_rate > 0:\n"
            "            model.add(keras.layers.Dropout(dropout_rate))\n"
            "        if batchnorm:\n"
            "            model.add(keras.layers.BatchNormalization())\n"
            "        model.add(keras.layers.Activation(activation))\n"
            "    model.add(keras.layers.Dense(10, activation='softmax'))\n"
            "    model.compile(optimizer=keras.optimizers.Adam(learning_rate),\n"
            "                  loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model\n"
        ),
        "fails": ["test_build_mlp_layer_order"],
    },
    "batchnorm_after_activation": {  # deck 003's order: normalise the hidden layer's outputs
        "cell": "build_mlp",
        "source": (
            "def build_mlp(dropout_rate=0.0, batchnorm=False, hidden_units=(256, 256), activation='relu',\n"
            "              learning_rate=1e-3):\n"
            "    model = keras.Sequential([keras.Input(shape=(784,))])\n"
            "    for units in hidden_units:\n"
            "        model.add(keras.layers.Dense(units, activation=activation))\n"
            "        if batchnorm:\n"
            "            model.add(keras.layers.BatchNormalization())\n"
            "        if dropout_rate > 0:\n"
            "            model.add(keras.layers.Dropout(dropout_rate))\n"
            "    model.add(keras.layers.Dense(10, activation='softmax'))\n"
            "    model.compile(optimizer=keras.optimizers.Adam(learning_rate),\n"
            "                  loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model\n"
        ),
        "fails": ["test_build_mlp_layer_order"],
    },
    "batchnorm_branch_without_activation": {
        "cell": "build_mlp",
        "source": (
            "def build_mlp(dropout_rate=0.0, batchnorm=False, hidden_units=(256, 256), activation='relu',\n"
            "              learning_rate=1e-3):\n"
            "    model = keras.Sequential([keras.Input(shape=(784,))])\n"
            "    for units in hidden_units:\n"
            "        if batchnorm:\n"
            "            model.add(keras.layers.Dense(units))\n"
            "            model.add(keras.layers.BatchNormalization())\n"
            "        else:\n"
            "            model.add(keras.layers.Dense(units, activation=activation))\n"
            "        if dropout_rate > 0:\n"
            "            model.add(keras.layers.Dropout(dropout_rate))\n"
            "    model.add(keras.layers.Dense(10, activation='softmax'))\n"
            "    model.compile(optimizer=keras.optimizers.Adam(learning_rate),\n"
            "                  loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model\n"
        ),
        "fails": ["test_build_mlp_layer_order", "test_final_model_accuracy"],
    },
    "learning_rate_ignored": {  # optimizer="adam": Adam's default rate, whatever the argument
        "cell": "build_mlp",
        "source": (
            "def build_mlp(dropout_rate=0.0, batchnorm=False, hidden_units=(256, 256), activation='relu',\n"
            "              learning_rate=1e-3):\n"
            "    model = keras.Sequential([keras.Input(shape=(784,))])\n"
            "    for units in hidden_units:\n"
            "        model.add(keras.layers.Dense(units, use_bias=not batchnorm))\n"
            "        if batchnorm:\n"
            "            model.add(keras.layers.BatchNormalization())\n"
            "        model.add(keras.layers.Activation(activation))\n"
            "        if dropout_rate > 0:\n"
            "            model.add(keras.layers.Dropout(dropout_rate))\n"
            "    model.add(keras.layers.Dense(10, activation='softmax'))\n"
            "    model.compile(optimizer='adam', loss='sparse_categorical_crossentropy', metrics=['accuracy'])\n"
            "    return model\n"
        ),
        "fails": ["test_build_mlp_layer_order", "test_final_model_recipe"],
    },
    "gap_validation_minus_training": {
        "cell": "overfitting_gap",
        "source": (
            "def overfitting_gap(history):\n"
            "    h = history.history if hasattr(history, 'history') else history\n"
            "    return np.array(h['val_accuracy']) - np.array(h['accuracy'])\n"
        ),
        "fails": ["test_overfitting_gap", "test_dropout_logged_vs_clean_gap"],
    },
    "clean_gap_with_dropout_on": {  # the network as it trains: dropout active
        "cell": "clean_gap",
        "source": (
            "def clean_gap(model, x_train, y_train, x_val, y_val):\n"
            "    def accuracy(x, y):\n"
            "        probs = keras.ops.convert_to_numpy(model(x, training=True))\n"
            "        return np.mean(np.argmax(probs, axis=1) == y)\n"
            "    return float(accuracy(x_train, y_train) - accuracy(x_val, y_val))\n"
        ),
        "fails": ["test_clean_gap", "test_dropout_logged_vs_clean_gap"],
    },
    "clean_gap_from_losses": {  # evaluate() returns [loss, accuracy]: index 0 is the loss
        "cell": "clean_gap",
        "source": (
            "def clean_gap(model, x_train, y_train, x_val, y_val):\n"
            "    return model.evaluate(x_train, y_train, verbose=0)[0] - model.evaluate(x_val, y_val, verbose=0)[0]\n"
        ),
        "fails": ["test_clean_gap", "test_dropout_logged_vs_clean_gap"],
    },
    "cosine_decay_over_epochs": {  # decay_steps counted in epochs: the rate is 0 after 6 batches
        "cell": "build_final_model",
        "source": (
            "def build_final_model(total_steps):\n"
            "    schedule = keras.optimizers.schedules.CosineDecay(3e-3, FINAL_EPOCHS)\n"
            "    return build_mlp(dropout_rate=0.2, batchnorm=True, hidden_units=(512, 512), learning_rate=schedule)\n"
        ),
        "fails": ["test_final_model_recipe", "test_final_model_accuracy"],
    },
    "gradients_in_inference_mode": {
        "cell": "layer_gradient_norms",
        "source": (
            "def layer_gradient_norms(model, X, y):\n"
            "    loss_fn = keras.losses.SparseCategoricalCrossentropy()\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = loss_fn(y, model(X))\n"
            "    dense = [layer for layer in model.layers if isinstance(layer, keras.layers.Dense)]\n"
            "    grads = tape.gradient(loss, [layer.kernel for layer in dense])\n"
            "    return np.array([np.linalg.norm(g.numpy()) for g in grads])\n"
        ),
        "fails": ["test_layer_gradient_norms", "test_vanishing_gradients"],
    },
    "gradient_of_summed_loss": {
        "cell": "layer_gradient_norms",
        "source": (
            "def layer_gradient_norms(model, X, y):\n"
            "    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction='sum')\n"
            "    kernels = [layer.kernel for layer in model.layers if isinstance(layer, keras.layers.Dense)]\n"
            "    with tf.GradientTape() as tape:\n"
            "        loss = loss_fn(y, model(X, training=True))\n"
            "    return np.array([float(tf.norm(g)) for g in tape.gradient(loss, kernels)])\n"
        ),
        "fails": ["test_layer_gradient_norms"],
    },
}
