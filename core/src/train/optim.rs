//! Optimizers with PyTorch's update rules (no weight decay).
//!
//! **SGD with momentum** (torch.optim.SGD, dampening 0, not Nesterov): at the first step
//! buf = g, afterwards buf = momentum buf + g; then p -= lr buf. Momentum 0 is plain SGD.
//!
//! **Adam** (torch.optim.Adam, amsgrad off): with t the step count from 1,
//! m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, m_hat = m / (1 - b1^t),
//! v_hat = v / (1 - b2^t), p -= lr m_hat / (sqrt(v_hat) + eps); b1 = 0.9, b2 = 0.999,
//! eps = 1e-8.
//!
//! State (buf, m, v) is stored in f32 like PyTorch's; each update is evaluated in f64 and
//! rounded once into the f32 state and parameters.

/// Which optimizer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OptimizerKind {
    Sgd,
    Adam,
}

impl OptimizerKind {
    pub const ALL: [OptimizerKind; 2] = [OptimizerKind::Sgd, OptimizerKind::Adam];

    /// Stable name ("sgd", "adam").
    pub fn name(self) -> &'static str {
        match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
        }
    }

    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }
}

pub const ADAM_BETA1: f64 = 0.9;
pub const ADAM_BETA2: f64 = 0.999;
pub const ADAM_EPS: f64 = 1e-8;

/// An optimizer with its state for one list of parameter tensors.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimizer {
    pub kind: OptimizerKind,
    pub lr: f64,
    /// SGD's momentum (ignored by Adam).
    pub momentum: f64,
    /// Updates done so far.
    pub t: u64,
    /// SGD: the momentum buffers; Adam: the first moments m.
    first: Vec<Vec<f32>>,
    /// Adam: the second moments v.
    second: Vec<Vec<f32>>,
}

impl Optimizer {
    pub fn new(kind: OptimizerKind, lr: f64, momentum: f64) -> Optimizer {
        Optimizer {
            kind,
            lr,
            momentum,
            t: 0,
            first: Vec::new(),
            second: Vec::new(),
        }
    }

    /// One update of `params` with `grads` (same list shapes, e.g. [`crate::train::Model::params_mut`]
    /// and [`crate::train::Grads::slices`]). The state is created at the first call.
    pub fn step(&mut self, params: &mut [&mut [f32]], grads: &[&[f32]]) {
        assert_eq!(
            params.len(),
            grads.len(),
            "optimizer: parameter lists differ"
        );
        if self.t == 0 {
            self.first = grads.iter().map(|g| vec![0.0; g.len()]).collect();
            if self.kind == OptimizerKind::Adam {
                self.second = grads.iter().map(|g| vec![0.0; g.len()]).collect();
            }
        }
        self.t += 1;
        let lr = self.lr;
        match self.kind {
            OptimizerKind::Sgd => {
                let mu = self.momentum;
                let first_step = self.t == 1;
                for ((p, g), buf) in params.iter_mut().zip(grads).zip(&mut self.first) {
                    for ((p, &g), b) in p.iter_mut().zip(g.iter()).zip(buf.iter_mut()) {
                        let nb = if first_step {
                            f64::from(g)
                        } else {
                            mu * f64::from(*b) + f64::from(g)
                        };
                        *b = nb as f32;
                        *p = (f64::from(*p) - lr * f64::from(*b)) as f32;
                    }
                }
            }
            OptimizerKind::Adam => {
                let t = self.t as i32;
                let c1 = 1.0 - ADAM_BETA1.powi(t);
                let c2 = 1.0 - ADAM_BETA2.powi(t);
                for (((p, g), m), v) in params
                    .iter_mut()
                    .zip(grads)
                    .zip(&mut self.first)
                    .zip(&mut self.second)
                {
                    for (((p, &g), m), v) in p
                        .iter_mut()
                        .zip(g.iter())
                        .zip(m.iter_mut())
                        .zip(v.iter_mut())
                    {
                        let g = f64::from(g);
                        *m = (ADAM_BETA1 * f64::from(*m) + (1.0 - ADAM_BETA1) * g) as f32;
                        *v = (ADAM_BETA2 * f64::from(*v) + (1.0 - ADAM_BETA2) * g * g) as f32;
                        let m_hat = f64::from(*m) / c1;
                        let v_hat = f64::from(*v) / c2;
                        *p = (f64::from(*p) - lr * m_hat / (v_hat.sqrt() + ADAM_EPS)) as f32;
                    }
                }
            }
        }
    }
}
