import sys
from pathlib import Path

# The app is a folder of its own, not an installed package.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app"))
