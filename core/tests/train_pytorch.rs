//! "Copy as PyTorch": the script parses as Python (python3's ast module) for many settings and
//! contains the exact PyTorch equivalents. Skipped with a printed note if python3 is missing.

use lab_core::train::pytorch::pytorch_script;
use lab_core::train::{DropoutKind, OptimizerKind, Settings, Shape2d, Task};
use lab_core::{Activation, ActivationKind, Arch, Initializer, NormAt, Normalization};
use std::io::Write;
use std::process::{Command, Stdio};

fn parses(script: &str) -> Option<Result<(), String>> {
    let mut child = match Command::new("python3")
        .args(["-c", "import ast,sys; ast.parse(sys.stdin.read())"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
    {
        Ok(c) => c,
        Err(_) => return None,
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    Some(if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    })
}

fn variants() -> Vec<Settings> {
    let base = Settings::default();
    let mut v = vec![base.clone()];
    for (i, kind) in ActivationKind::ALL.into_iter().enumerate() {
        let mut activation = Activation::new(kind);
        if i % 2 == 1 {
            activation.beta = 0.5;
            activation.slope = 0.2;
            activation.alpha = 1.5;
        }
        v.push(Settings {
            activation,
            init: Initializer::ALL[i % Initializer::ALL.len()],
            norm: Normalization::ALL[i % Normalization::ALL.len()],
            norm_at: NormAt::ALL[(i / 2) % 2],
            dropout: DropoutKind::ALL[(i / 3) % 3],
            optimizer: OptimizerKind::ALL[i % 2],
            ..base.clone()
        });
    }
    for (i, shape) in Shape2d::ALL.into_iter().enumerate() {
        v.push(Settings {
            task: Task::TwoD {
                shape,
                noise: 0.1 * i as f64,
                data_seed: 5,
            },
            dropout_rate: 0.0,
            dropout: DropoutKind::Alpha,
            ..base.clone()
        });
    }
    v.push(Settings {
        task: Task::Csv {
            name: "my \"data\"\\set.csv".into(),
            label_column: Some(0),
        },
        ..base.clone()
    });
    v.push(Settings {
        arch: Arch::Residual,
        res_scale: 0.25,
        norm: Normalization::Layer,
        dropout: DropoutKind::Standard,
        dropout_rate: 0.1,
        ..base.clone()
    });
    v.push(Settings {
        task: Task::Csv {
            name: "iris.csv".into(),
            label_column: None,
        },
        lr: 1e-5,
        bias_std: 0.05,
        gain: 1.5,
        ..base
    });
    v
}

#[test]
fn scripts_parse_as_python() {
    let mut checked = 0;
    for s in variants() {
        let script = pytorch_script(&s);
        match parses(&script) {
            None => {
                println!("python3 not found: the scripts were not parsed (skipped)");
                return;
            }
            Some(Ok(())) => checked += 1,
            Some(Err(e)) => panic!("{s:?}\n{script}\n{e}"),
        }
    }
    println!("{checked} scripts parsed");
}

#[test]
fn scripts_name_the_exact_equivalents() {
    let mut s = Settings {
        activation: Activation::new(ActivationKind::Selu),
        init: Initializer::LecunNormal,
        norm: Normalization::Batch,
        dropout: DropoutKind::Alpha,
        dropout_rate: 0.05,
        optimizer: OptimizerKind::Adam,
        lr: 0.001,
        ..Settings::default()
    };
    let script = pytorch_script(&s);
    for needle in [
        "nn.SELU()",
        "nn.init.normal_(w, 0.0, 1.0 / math.sqrt(fan_in))",
        "nn.AlphaDropout(p=0.05)",
        "nn.BatchNorm1d(WIDTH, eps=1e-5, momentum=0.1)",
        "torch.optim.Adam(model.parameters(), lr=0.001, betas=(0.9, 0.999), eps=1e-8)",
        "load_digits()",
        "calculate_gain(\"selu\") is 3/4",
        "nonlinearity=\"linear\"",
        "DEPTH, WIDTH = 16, 64",
    ] {
        assert!(script.contains(needle), "missing {needle}");
    }
    s.activation = Activation::new(ActivationKind::GeluTanh);
    s.norm = Normalization::Layer;
    s.dropout = DropoutKind::Standard;
    s.optimizer = OptimizerKind::Sgd;
    s.momentum = 0.9;
    s.lr = 0.01;
    let script = pytorch_script(&s);
    for needle in [
        "nn.GELU(approximate=\"tanh\")",
        "nn.LayerNorm(WIDTH, eps=1e-5)",
        "nn.Dropout(p=0.05)",
        "torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)",
    ] {
        assert!(script.contains(needle), "missing {needle}");
    }
    s.norm = Normalization::Group;
    s.groups = 4;
    assert!(pytorch_script(&s).contains("nn.GroupNorm(4, WIDTH, eps=1e-5)"));
    s.norm = Normalization::Rms;
    assert!(pytorch_script(&s).contains("nn.RMSNorm(WIDTH, eps=1e-5)"));
    assert!(pytorch_script(&s).contains("NORM_AFTER_ACTIVATION = False"));
    s.norm_at = NormAt::Post;
    assert!(pytorch_script(&s).contains("NORM_AFTER_ACTIVATION = True"));
    assert!(pytorch_script(&s).contains("RESIDUAL, RES_SCALE = False, 1"));
    s.arch = Arch::Residual;
    s.res_scale = 0.25;
    let script = pytorch_script(&s);
    assert!(script.contains("RESIDUAL, RES_SCALE = True, 0.25"));
    assert!(script.contains("return x + RES_SCALE * self.branch(self.norm(x))"));
    assert!(script.contains("return Residual(nn.RMSNorm(WIDTH, eps=1e-5), branch)"));
}
