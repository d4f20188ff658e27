"""What `pip install .` puts into a user's environment: one import package, `visearch`, and its command."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_wheel_installs_only_the_visearch_package(tmp_path):
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
                            "--wheel-dir", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-2000:]
    wheel = next(tmp_path.glob("visearch-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names}
    assert top == {"visearch", wheel.name.split("-")[0] + "-" + wheel.name.split("-")[1] + ".dist-info"}, top
    # the web UI's files travel with it, and no test generator does
    assert "visearch/web/templates/base.html" in names and "visearch/web/static/lens.js" in names
    assert any(n.startswith("visearch/web/translations/ko/") and n.endswith(".mo") for n in names)
    assert not any("fixtures" in n or n.startswith("tests/") for n in names)
    entry = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "visearch = visearch.cli:main" in entry


def test_python_dash_m_visearch_is_the_command(tmp_path):
    done = subprocess.run([sys.executable, "-m", "visearch", "--help"], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0 and "usage: visearch" in done.stdout
