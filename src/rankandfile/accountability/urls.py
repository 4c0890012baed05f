from django.urls import path

from rankandfile.accountability import views

app_name = "accountability"

urlpatterns = [
    path("accountability/", views.index, name="index"),
    path("accountability/my-mp/", views.my_mp, name="my_mp"),
    path("accountability/mps/", views.mp_search, name="mps"),
    path("accountability/mps/<int:mnis_id>/", views.mp_detail, name="mp"),
    path(
        "accountability/mps/<int:mnis_id>/policies/<slug:slug>/",
        views.mp_policy,
        name="mp_policy",
    ),
    path("accountability/mps/<int:mnis_id>/chart.svg", views.mp_chart, name="mp_chart"),
    path("accountability/policies/new/", views.policy_new, name="policy_new"),
    path("accountability/policies/<slug:slug>/", views.policy_detail, name="policy"),
    path("accountability/policies/<slug:slug>/chart.svg", views.policy_chart, name="policy_chart"),
    path("accountability/policies/<slug:slug>/links/", views.link_save_view, name="link_save"),
    path("accountability/links/<int:pk>/remove/", views.link_remove_view, name="link_remove"),
    path("accountability/divisions/", views.division_list, name="divisions"),
    path("accountability/divisions/import/", views.import_view, name="import"),
    path("accountability/against-the-programme/", views.against, name="against"),
    path("accountability/clps/<slug:slug>/", views.clp_detail, name="clp"),
    path("accountability/reconciliation/", views.reconciliation_view, name="reconciliation"),
    path("accountability/alerts/", views.alerts, name="alerts"),
]
