"""{{ cookiecutter.project_name }}: exports {{ cookiecutter.publisher }}/{{ cookiecutter.model_name }}/{{ cookiecutter.model_version }} as a reusable TF2 SavedModel."""
