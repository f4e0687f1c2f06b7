# make test: unit and end-to-end tests (the end-to-end ones build or reuse a real kube-apiserver + etcd).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONTROL_PLANE := bash hack/build-control-plane.sh etcd kubernetes krew helm

.PHONY: test unit e2e lint deps control-plane dist clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

deps: $(BIN)/python
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'

control-plane:
	@$(CONTROL_PLANE) >/dev/null || echo "no control plane could be built: the end-to-end tests will be skipped"

test: deps control-plane
	$(BIN)/python -m pytest -q

unit: deps
	$(BIN)/python -m pytest -q tests/unit

e2e: deps control-plane
	$(BIN)/python -m pytest -q tests/e2e

lint: deps
	$(BIN)/ruff check kubectl_sidecars hack tests

dist: $(BIN)/python
	$(BIN)/python hack/dist.py

clean:
	rm -rf build dist *.egg-info e2e-logs .pytest_cache
